/**
 * REVIEW15: U+00AD SOFT HYPHEN is a format character (Cf, as the bidi controls) that string-width
 * counts 0 columns, yet tmux 3.3a (as glibc's wcwidth) draws each one a column wide: a key's user
 * ID or an outbound destination of them was wrapped as fitting a 40-column row and took more rows on
 * the screen, as the Hangul fillers did (console-hangul-fillers). escapeLine/escapeText show it as
 * `\xad` text, as the other controls: counted as drawn.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { escapeJson, escapeLine, escapeText } from '../../src/present/escape.js';
import { textWidth } from '../../src/tui/text-width.js';
import { wrapWords } from '../../src/tui/wrap-width.js';
import { drawnRows } from '../helpers/terminal-rows.js';
import type { Pane } from '../tui/tmux.js';

const SHY = '\u00ad';
const panes: Pane[] = [];
afterEach(() => {
  for (const p of panes.splice(0)) p.kill();
});

describe('soft hyphens in a hostile name', () => {
  it('a name of 45 soft hyphens wrapped to 40 columns stays within 40 columns in a real terminal', async () => {
    const name = `admin A${SHY.repeat(45)} <evil@example.org>`;
    const rows = wrapWords(escapeLine(name), 40);
    for (const row of rows) {
      expect(textWidth(row)).toBeLessThanOrEqual(40);
      expect(await drawnRows(row, 40, panes), JSON.stringify(row)).toBe(1);
    }
  }, 60_000);

  it('are shown as escapes in lines, text blocks and JSON (which stays valid and equal)', () => {
    expect(escapeLine(`a${SHY}b`)).toBe('a\\xadb');
    expect(escapeText(`a${SHY}b\nc`)).toBe('a\\xadb\nc');
    const doc = JSON.stringify({ s: `a${SHY}b` });
    expect(escapeJson(doc)).toBe('{"s":"a\\u00adb"}');
    expect(JSON.parse(escapeJson(doc))).toEqual(JSON.parse(doc));
  });
});
