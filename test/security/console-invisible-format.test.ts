/**
 * REVIEW16's sweep (observed, left to CONSOLE10): format characters that tmux 3.3a draws as nothing
 * and escapeLine passed raw, so two names that differ look the same: a user ID
 * `al<U+200B>ice@example.org` showed as `alice@example.org` beside another key's. The zero width
 * space U+200B, the Mongolian vowel separator U+180E, the word joiner and invisible operators
 * U+2060–2064, the deprecated format controls U+206A–206F, the byte order mark U+FEFF and the
 * interlinear annotation marks U+FFF9–FFFB are shown as `\u{200b}` text now, as the bidi controls.
 * The lead's decision (22:20): every format character (Cf) so, the zero width non-joiner U+200C
 * and the prepended concatenation marks (U+0600–0605, …) included; only ZWJ (U+200D) is kept, for
 * emoji sequences (shown as their parts) and Indic conjuncts. dist/blueprint in tmux, a real
 * OpenPGP key trusted.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { escapeJson, escapeLine, escapeText } from '../../src/present/escape.js';
import { keysScreenWithUserId } from '../helpers/keys-screen.js';
import { rootsPerTest } from '../helpers/roots.js';
import { requireExe } from '../tui/tmux.js';

const t = rootsPerTest('console-format');
beforeEach(() => requireExe());

const INVISIBLE = [
  '\u0600',
  '\u06dd',
  '\u08e2',
  '\u200c',
  '\u{110bd}',
  '\u{13430}',
  '\u{1bca0}',
  '\u{1d173}',
  '\u180e',
  '\u200b',
  '\u2060',
  '\u2061',
  '\u2064',
  '\u206a',
  '\u206f',
  '\ufeff',
  '\ufff9',
  '\ufffb',
];

describe('invisible format characters in hostile text', () => {
  it("a key's user ID with a zero width space shows it on the Keys screen", async () => {
    const s = await keysScreenWithUserId(t, 'Al\u200bice Re\u200cpo');
    expect(s).toContain('Al\\u{200b}ice Re\\u{200c}po');
  }, 60_000);

  it('are escaped in lines, text blocks and JSON; ZWJ is kept', () => {
    for (const c of INVISIBLE) {
      const cp = c.codePointAt(0)!.toString(16);
      expect(escapeLine(`a${c}b`)).toBe(`a\\u{${cp}}b`);
      expect(escapeText(`a${c}\nb`)).toBe(`a\\u{${cp}}\nb`);
      const doc = JSON.stringify({ s: `a${c}` });
      const units = c
        .split('')
        .map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`)
        .join('');
      expect(escapeJson(doc)).toBe(`{"s":"a${units}"}`);
    }
    expect(escapeLine('\u0915\u094d\u200d\u0937')).toBe('\u0915\u094d\u200d\u0937');
  });
});
