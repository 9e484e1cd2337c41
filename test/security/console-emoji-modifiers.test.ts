/**
 * REVIEW14 (attack on 787a0b58/b77bda55, for CONSOLE7: the fix is in src/tui, their area): the
 * console wraps hostile names by string-width's columns (src/tui/text-width.ts), where an emoji with
 * a skin-tone modifier (👍🏽: U+1F44D U+1F3FD) is one grapheme of 2 columns. tmux 3.3a (the terminal
 * the console's tests run in, and a usual one on a server) draws the emoji and the modifier each 2
 * columns: 4. A key's user ID or an outbound destination of 20 of them, wrapped as fitting a
 * 40-column row, takes two rows on the screen, pushing every row below it down (the footer, a
 * warning, off the screen). Terminals differ here (kitty, WezTerm join them into 2); counting an
 * Emoji_Modifier after an emoji as 2 more columns leaves a gap in those, never an overflow.
 * Fixed by CONSOLE8: text-width.ts counts each cluster as the wider of string-width's count and the
 * per-code-point one (tmux, xterm, the Linux console), so 👍🏽 counts 4 (test/security/
 * console-emoji-kinds has the other kinds: selectors, keycaps, flags, tag sequences, conjuncts).
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

describe('emoji with skin-tone modifiers in a hostile name', () => {
  it('wrapped to 40 columns, each row stays within 40 columns in a real terminal', async () => {
    const name = `admin ${'\u{1F44D}\u{1F3FD}'.repeat(20)} <evil@example.org>`;
    for (const row of wrapWords(escapeLine(name), 40)) {
      expect(textWidth(row)).toBeLessThanOrEqual(40);
      expect(await drawnRows(row, 40, panes), JSON.stringify(row)).toBe(1);
    }
  }, 30_000);
});
