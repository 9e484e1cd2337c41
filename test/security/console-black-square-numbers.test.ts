/**
 * REVIEW16, attack on CONSOLE8's a1f00711 ("never counted narrower than a terminal draws it"):
 * U+3248..U+324F (CIRCLED NUMBER TEN ON BLACK SQUARE .. EIGHTY) are East Asian Width Ambiguous, so
 * string-width and text-width (ambiguous as narrow, per code point) count each 1 column, yet tmux
 * 3.3a (glibc's wcwidth) draws each 2. A sweep of every code point from U+00A0 to U+323AF (CJK
 * ideographs, Hangul syllables and private use left out), each escaped as the console shows it and
 * measured by tmux's cursor after it, found these 8 and no other drawn wider than counted. A key's
 * user ID or a service name of them wrapped to 40 columns took two rows on screen (pushing the
 * footer), as the Hangul fillers and the soft hyphen did.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { escapeLine } from '../../src/present/escape.js';
import { textWidth } from '../../src/tui/text-width.js';
import { wrapWords } from '../../src/tui/wrap-width.js';
import { drawnRows } from '../helpers/terminal-rows.js';
import type { Pane } from '../tui/tmux.js';

const panes: Pane[] = [];
afterEach(() => {
  for (const p of panes.splice(0)) p.kill();
});

const BLACK_SQUARE_NUMBERS = Array.from({ length: 8 }, (_, i) => String.fromCodePoint(0x3248 + i));

describe('circled numbers on black squares in a hostile name', () => {
  for (const ch of BLACK_SQUARE_NUMBERS)
    it(`U+${ch.codePointAt(0)!.toString(16).toUpperCase()} ${ch}: a name of 30 wrapped to 40 columns stays on its rows in a real terminal`, async () => {
      const name = `admin ${ch.repeat(30)} <evil@example.org>`;
      const rows = wrapWords(escapeLine(name), 40);
      for (const row of rows) {
        expect(textWidth(row)).toBeLessThanOrEqual(40);
        expect(await drawnRows(row, 40, panes), JSON.stringify(row)).toBe(1);
      }
    }, 60_000);

  it('a neighbour that tmux draws as 1 (U+3251, CIRCLED NUMBER TWENTY ONE) is a guard: it fits', async () => {
    const rows = wrapWords(escapeLine(`admin ${'\u3251'.repeat(50)} <evil@example.org>`), 40);
    for (const row of rows) expect(await drawnRows(row, 40, panes), JSON.stringify(row)).toBe(1);
  }, 60_000);
});
