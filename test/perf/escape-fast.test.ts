/**
 * escapeText and escapeJson (src/present/escape.ts) first ask whether their text holds anything
 * they would change, and return it as it is when not: a replace whose pattern matches every
 * newline called its callback once a line (~1,400 times for `bpkg search vision`, ~2 ms of CPU,
 * issue 20). The answers must be exactly the plain replaces' on every code point, alone and
 * beside newlines and tabs.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs generator, no types
import { newerClass } from '../../scripts/unicode/newer-than-terminal.mjs';
import { escapeJson, escapeText } from '../../src/present/escape.js';

// With the Hangul fillers since REVIEW14 (test/security/console-hangul-fillers), the soft hyphen
// since REVIEW15 (test/security/console-soft-hyphen); the tag characters but the three flags, the
// variation selectors that carry bytes and the format characters (Cf but ZWJ) since CONSOLE10
// (console-tag-characters, console-variation-selectors, console-invisible-format); the unassigned
// code points (\p{Cn}) since CONSOLE11 (console-unassigned), and a selector, Mongolian FVS, CGJ or
// Khmer inherent vowel after another or after a ZWJ, a ZWJ after a ZWJ (console-selector-joiner-smuggling);
// the characters assigned after Unicode 14, tmux's, since CONSOLE12 (console-newer-unicode).
const UNSAFE_BEFORE =
  /\u{1f3f4}\u{e0067}\u{e0062}(?:\u{e0065}\u{e006e}\u{e0067}|\u{e0073}\u{e0063}\u{e0074}|\u{e0077}\u{e006c}\u{e0073})\u{e007f}|[\p{Cn}\u0000-\u001f\u007f-\u009f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160\u180e\u200b\u200c\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\ufff9-\ufffb\uffa0\u{110bd}\u{110cd}\u{13430}-\u{1343f}\u{1bca0}-\u{1bca3}\u{1d173}-\u{1d17a}\u{e0001}\u{e0020}-\u{e007f}]|[\ufe00-\ufe0f\u{e0100}-\u{e01ef}\u180b-\u180d\u180f\u034f\u17b4\u17b5](?<=[\ufe00-\ufe0f\u{e0100}-\u{e01ef}\u180b-\u180d\u180f\u034f\u17b4\u17b5\u200d].)|\u200d(?<=\u200d\u200d)|[\u{e0100}-\u{e01ef}](?<![\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{3ffff}][\u{e0100}-\u{e01ef}])/gu;
const UNSAFE = new RegExp(UNSAFE_BEFORE.source.replace('[\\p{Cn}', `[\\p{Cn}${newerClass()}`), 'gu');
const isFlag = (m: string) => m.length > 2;
const visible = (c: string) => {
  if (isFlag(c)) return c;
  const cp = c.codePointAt(0)!;
  return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
};
/** The two as they were written before the quick test. */
const textBefore = (t: string) => t.replace(UNSAFE, (c) => (c === '\n' || c === '\t' ? c : visible(c)));
const jsonBefore = (t: string) =>
  t.replace(UNSAFE, (c) =>
    c.charCodeAt(0) < 0x20 || isFlag(c)
      ? c
      : c
          .split('')
          .map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`)
          .join(''),
  );

describe('escapeText and escapeJson with their quick test', () => {
  it('give the plain replaces’ answers on every code point', () => {
    const wrong: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const c = String.fromCodePoint(cp);
      for (const s of [c, `a\n${c}\tb\n`]) {
        if (escapeText(s) !== textBefore(s) || escapeJson(s) !== jsonBefore(s)) wrong.push(cp.toString(16));
      }
    }
    expect(wrong).toEqual([]);
  });

  it('leave lines of plain text, and JSON with only newlines and indentation, as they are', () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `pkg-${i}\t1.0.${i}\tsummary ${i}\n`).join('');
    expect(escapeText(lines)).toBe(lines);
    const doc = JSON.stringify({ a: [1, 2], s: 'x\ny' }, null, 2);
    expect(escapeJson(doc)).toBe(doc);
    expect(escapeText(`${lines}\x1b[2J`)).toBe(`${lines}\\x1b[2J`);
    expect(escapeJson(`${doc}\u009b`)).toBe(`${doc}\\u009b`);
  });
});
