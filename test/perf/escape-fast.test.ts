/**
 * escapeText and escapeJson (src/present/escape.ts) first ask whether their text holds anything
 * they would change, and return it as it is when not: a replace whose pattern matches every
 * newline called its callback once a line (~1,400 times for `bpkg search vision`, ~2 ms of CPU,
 * issue 20). The answers must be exactly the plain replaces' on every code point, alone and
 * beside newlines and tabs.
 */
import { describe, expect, it } from 'vitest';
import { escapeJson, escapeText } from '../../src/present/escape.js';

// With the Hangul fillers since REVIEW14 (test/security/console-hangul-fillers) and the soft hyphen
// since REVIEW15 (test/security/console-soft-hyphen).
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\u3164\uffa0]/gu;
const visible = (c: string) => {
  const cp = c.codePointAt(0)!;
  return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
};
/** The two as they were written before the quick test. */
const textBefore = (t: string) => t.replace(UNSAFE, (c) => (c === '\n' || c === '\t' ? c : visible(c)));
const jsonBefore = (t: string) =>
  t.replace(UNSAFE, (c) =>
    c.charCodeAt(0) < 0x20 ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
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
