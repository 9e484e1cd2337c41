/**
 * CONSOLE8, after REVIEW14's console-emoji-modifiers: every kind of emoji sequence (and the clusters
 * of other scripts that string-width counts narrower than a per-code-point terminal draws) in a
 * hostile name, wrapped to 40 columns, stays on one row of a real tmux 3.3a. Counted by text-width
 * as the wider of string-width and the per-code-point count: a skin tone (👍🏽 tmux 4 columns), a
 * tone after a letter, an Indic conjunct or a Thai vowel (tmux 2, string-width 1) fit; an
 * emoji-style selector (❤️) or a keycap (tmux 1, counted 2) leaves a gap, never an overflow; a flag
 * and a tag sequence (🏴󠁧󠁢󠁳󠁣󠁴󠁿: tmux 2, its tags invisible) fit as counted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { escapeLine } from '../../src/present/escape.js';
import { emojiParts } from '../../src/tui/escaped-sources.js';
import { textWidth } from '../../src/tui/text-width.js';
import { wrapWords } from '../../src/tui/wrap-width.js';
import { drawnRows } from '../helpers/terminal-rows.js';
import type { Pane } from '../tui/tmux.js';

const panes: Pane[] = [];
afterEach(() => {
  for (const p of panes.splice(0)) p.kill();
});

const KINDS: [string, string][] = [
  ['skin tone', '\u{1F44D}\u{1F3FD}'],
  ['skin tone on a narrow emoji', '\u270C\u{1F3FD}'],
  ['skin tone after a letter', 'a\u{1F3FD}'],
  ['two skin tones', '\u{1F44D}\u{1F3FD}\u{1F3FD}'],
  ['emoji-style selector', '\u2764\uFE0F'],
  ['keycap', '1\uFE0F\u20E3'],
  ['flag', '\u{1F1EC}\u{1F1E7}'],
  ['lone regional indicator', '\u{1F1EC}'],
  ['tag sequence', '\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}'],
  ['ZWJ profession with a tone', '\u{1F469}\u{1F3FD}\u200D\u{1F4BB}'],
  ['its parts, as the console shows it', emojiParts('\u{1F469}\u{1F3FD}\u200D\u{1F4BB}')],
  ['ZWJ family', '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}'],
  ['Indic conjunct', '\u0915\u094D\u0937\u093F'],
  ['Thai vowel', '\u0E01\u0E33'],
  ['prepended concatenation mark', '\u06001'],
];

describe('every kind of emoji sequence in a hostile name fits its row in a real terminal', () => {
  for (const [kind, text] of KINDS)
    it(kind, async () => {
      const name = `admin ${text.repeat(30)} <evil@example.org>`;
      const rows = wrapWords(escapeLine(name), 40);
      expect(rows.length).toBeGreaterThan(1);
      for (const row of rows) {
        expect(textWidth(row)).toBeLessThanOrEqual(40);
        expect(await drawnRows(row, 40, panes), JSON.stringify(row)).toBe(1);
      }
    }, 60_000);
});
