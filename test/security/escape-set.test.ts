/**
 * src/present/escape.ts names the C0 and C1 controls by their code points instead of `\p{Cc}` (a
 * property class costs every start ICU's tables: test/perf/start-path.test.ts). Unicode never
 * changes which characters are Cc (its stability policy), so the two must agree on every code point:
 * checked here against V8's own `\p{Cc}`, for all 1,114,112 of them.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs generator, no types
import { newerClass } from '../../scripts/unicode/newer-than-terminal.mjs';
import { escapeJson, escapeLine, escapeText } from '../../src/present/escape.js';

/**
 * The set as it was written before: Cc, the Arabic letter mark, LRM/RLM, LS/PS, bidi controls; and
 * the Hangul fillers (drawn two columns wide, counted none: test/security/console-hangul-fillers);
 * the soft hyphen (drawn one column, counted none: test/security/console-soft-hyphen); the tag
 * characters (drawn as nothing: test/security/console-tag-characters, which keeps the three flags);
 * the invisible format characters (console-invisible-format): since the lead's decision every
 * format character (\p{Cf}) but ZWJ; the unassigned code points (\p{Cn}, drawn as nothing:
 * console-unassigned) since CONSOLE11; the characters assigned after Unicode 14, tmux's (drawn as
 * nothing: console-newer-unicode, escape.ts's generated table) since CONSOLE12.
 */
const REFERENCE = new RegExp(
  `^(?:(?!\\u200d)[\\p{Cc}\\p{Cf}\\p{Cn}\\u115f\\u1160\\u2028\\u2029\\u3164\\uffa0${newerClass()}]|[\\u{e0100}-\\u{e01ef}])$`,
  'u',
);

describe('the characters escape.ts makes visible', () => {
  it('are exactly \\p{Cc}, \\p{Cf} but ZWJ, the separators, the Hangul fillers, \\p{Cn}, the characters newer than Unicode 14 and the ideographic variation selectors (alone), on every code point', () => {
    const wrong: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue; // lone surrogates: not characters
      const c = String.fromCodePoint(cp);
      if ((escapeLine(c) !== c) !== REFERENCE.test(c)) wrong.push(cp.toString(16));
    }
    expect(wrong).toEqual([]);
  });

  it('keep newline and tab in text, and JSON documents valid and equal', () => {
    expect(escapeText('a\nb\tc\x1b[2J\u009b')).toBe('a\nb\tc\\x1b[2J\\x9b');
    const doc = JSON.stringify({ s: 'x\u202ey\x7f' });
    const escaped = escapeJson(doc);
    expect(escaped).toBe('{"s":"x\\u202ey\\u007f"}');
    expect(JSON.parse(escaped)).toEqual(JSON.parse(doc));
  });
});
