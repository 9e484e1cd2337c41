/**
 * Characters newer than the terminal's Unicode (CONSOLE11's "Unicode version gap"): Node's ICU is
 * Unicode 17.0, tmux 3.3a on Debian 12 sizes characters by glibc 2.36's wcwidth (Unicode 14.0) and
 * draws one it does not know as nothing: `a🫨b` showed `ab`, so a run of Unicode 15–17 characters
 * between letters carried hidden text past the unassigned-code-point escape (console-unassigned),
 * for which they are assigned. They are shown as `\u{…}` text, judged by a generated table
 * (escape.ts's NEWER_UNICODE, made by scripts/unicode/newer-than-terminal.mjs) that is decoded
 * on the first character outside the escape's fast ranges. dist/blueprint in tmux, a real OpenPGP
 * key trusted.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs generator, no types
import * as generator from '../../scripts/unicode/newer-than-terminal.mjs';
import { escapeJson, escapeLine, escapeText } from '../../src/present/escape.js';
import { keysScreenWithUserId } from '../helpers/keys-screen.js';
import { rootsPerTest } from '../helpers/roots.js';
import { requireExe } from '../tui/tmux.js';

const t = rootsPerTest('console-newer-unicode');

const ranges: [number, number][] = generator.rangesInEscape();
const hex = (c: string) => c.codePointAt(0)!.toString(16);

describe('characters assigned after Unicode 14 in hostile text', () => {
  it("a key's user ID with Unicode 15–17 characters between its letters shows them on the Keys screen", async () => {
    requireExe();
    // U+1FAE8 🫨 (15.0), U+2FFC (15.1), U+1C89 (16.0), U+1E4D0 (Nag Mundari, 15.0).
    const s = await keysScreenWithUserId(t, 'Al\u{1fae8}ice Re\u2ffcpo Ma\u1c89r\u{1e4d0}k');
    expect(s).toContain('Al\\u{1fae8}ice Re\\u{2ffc}po Ma\\u{1c89}r\\u{1e4d0}k');
  }, 60_000);

  it('are escaped in lines, text blocks and JSON, each of them; what Unicode 14 has is kept', () => {
    const wrong: string[] = [];
    for (const [from, to] of ranges)
      for (let cp = from; cp <= to; cp++) {
        const c = String.fromCodePoint(cp);
        const units = c
          .split('')
          .map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`)
          .join('');
        if (
          escapeLine(`é${c}ж`) !== `é\\u{${hex(c)}}ж` ||
          escapeText(`a${c}\nb`) !== `a\\u{${hex(c)}}\nb` ||
          escapeJson(JSON.stringify({ s: c })) !== `{"s":"${units}"}`
        )
          wrong.push(hex(c));
      }
    expect(wrong.length, `kept raw: ${wrong.slice(0, 8).join(' ')}…`).toBe(0);
    for (const cp of [0x1fae8, 0x2ffc, 0x1c89, 0x1e4d0, 0x31350]) // 0x31350: CJK Extension H, 15.0
      expect(
        ranges.some(([from, to]) => from <= cp && cp <= to),
        cp.toString(16),
      ).toBe(true);
    // Up to Unicode 14: Greek, Thai, Arabic, Devanagari, 🥲 (13.0), 🫠 (14.0), U+1C88 (9.0), U+2FFB (3.0).
    const plain = 'Ελλάδα ไทย العربية हिन्दी 🥲 🫠 \u1c88 \u2ffb ❤️';
    expect(escapeLine(plain)).toBe(plain);
    expect(escapeText(`${plain}\n`)).toBe(`${plain}\n`);
  });

  it('the table is what scripts/unicode/newer-than-terminal.mjs makes now (Python 3 unicodedata 14.0.0, Node 17.0)', ({
    skip,
  }) => {
    const python = generator.pythonUnicode();
    if (python === undefined) skip('python3 is missing: it gives the Unicode 14.0.0 character set');
    if (python !== generator.TERMINAL_UNICODE)
      skip(
        `python3's unicodedata is ${python}, not ${generator.TERMINAL_UNICODE}: it cannot regenerate the table`,
      );
    expect(process.versions.unicode, "Node's Unicode changed: regenerate the table").toBe(
      generator.NODE_UNICODE,
    );
    const inEscape = readFileSync(generator.TARGET, 'utf8').match(generator.LINE)?.[0];
    expect(inEscape).toBe(generator.line());
    expect(generator.decode(generator.encode(generator.newerRanges()))).toEqual(generator.newerRanges());
  }, 60_000);
});
