/**
 * The console counts a row's width with string-width (src/tui/text-width.ts) and wraps hostile names
 * by those columns (787a0b58, b77bda55). The Hangul fillers U+115F, U+1160, U+3164 and U+FFA0 are
 * invisible and count 0 columns there (Default_Ignorable), but a terminal draws each as a blank of
 * two columns (tmux 3.3a, as glibc's wcwidth): a key's user ID or an outbound destination of 30 of
 * them was wrapped as fitting a 40-column row and took 60 on the screen, the terminal wrapping the
 * row again and pushing every row below it down (the footer, a warning, off the screen), while the
 * name itself showed as empty space. escapeLine/escapeText (src/present/escape.ts, which every
 * front end uses) show them as \u{3164} text, as the bidi controls: one column a character, counted
 * as drawn. (A skin-tone emoji, 👍🏽, is two columns counted and four in tmux 3.3a: terminals differ
 * there, as string-width's issues say; not fixed here.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { escapeLine, escapeText } from '../../src/present/escape.js';
import { textWidth } from '../../src/tui/text-width.js';
import { wrapWords } from '../../src/tui/wrap-width.js';
import { drawnRows } from '../helpers/terminal-rows.js';
import type { Pane } from '../tui/tmux.js';

const FILLERS = ['\u115f', '\u1160', '\u3164', '\uffa0'];
const panes: Pane[] = [];
afterEach(() => {
  for (const p of panes.splice(0)) p.kill();
});

describe('Hangul fillers in a hostile name', () => {
  it('are shown as escapes, not as blank space the terminal draws two columns wide', () => {
    for (const f of FILLERS) {
      expect(escapeLine(`a${f}b`)).not.toContain(f);
      expect(escapeText(`a${f}b\nc`)).not.toContain(f);
    }
  });

  it('a name of 30 U+3164 wrapped to 40 columns stays within 40 columns in a real terminal', async () => {
    const name = `admin ${'\u3164'.repeat(30)} <evil@example.org>`;
    const rows = wrapWords(escapeLine(name), 40);
    for (const row of rows) {
      expect(textWidth(row)).toBeLessThanOrEqual(40);
      expect(await drawnRows(row, 40, panes), JSON.stringify(row)).toBe(1);
    }
  }, 30_000);
});
