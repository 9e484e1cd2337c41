/**
 * REVIEW15 on CONSOLE7's emojiParts (src/tui/escaped-sources.ts): it removed a ZWJ only right after
 * an emoji and at most one skin tone or VS16, but Unicode's GB11 joins `ExtPict Extend* ZWJ ×
 * ExtPict`: any other Extend character before the joiner (VS15 U+FE0E, a combining mark, a tag
 * character, a skin tone and then VS16) kept the sequence joined. tmux 3.3a then keeps such a
 * family in one cell of two columns but only its first 21 bytes: "<👨︎‍👩︎‍>", the girl and the boy
 * lost, the content loss emojiParts exists to prevent. Every part must reach a real tmux's screen,
 * on one row as wide as the console counts it; an Indic conjunct keeps its joiner.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { emojiParts } from '../../src/tui/escaped-sources.js';
import { textWidth } from '../../src/tui/text-width.js';
import { drawnRows } from '../helpers/terminal-rows.js';
import { Pane } from '../tui/tmux.js';

const panes: Pane[] = [];
afterEach(() => {
  for (const p of panes.splice(0)) p.kill();
});

const [MAN, WOMAN, GIRL, BOY] = ['\u{1F468}', '\u{1F469}', '\u{1F467}', '\u{1F466}'];
const joined = (extend: string) => [MAN, WOMAN, GIRL, BOY].map((p) => p + extend).join('\u200D');

const BYPASSES: [string, string][] = [
  ['text-style selector (VS15)', '\uFE0E'],
  ['combining mark', '\u0301'],
  ['tag character', '\u{E0020}'],
  ['skin tone and VS16', '\u{1F3FD}\uFE0F'],
  ['two combining marks', '\u0301\u0302'],
];

/** What tmux draws of `row` (a pane wide enough), its first line. */
async function drawn(row: string): Promise<string> {
  const pane = new Pane(['sh', '-c', 'printf "%s\\n" "$ROW"; printf END'], {
    width: 60,
    height: 5,
    env: { ROW: row },
  });
  panes.push(pane);
  const screen = await pane.waitFor(/^END/m);
  return screen.split('\n')[0] ?? '';
}

describe('a ZWJ family with Extend characters before each joiner is shown as its parts', () => {
  for (const [kind, extend] of BYPASSES)
    it(kind, async () => {
      const shown = emojiParts(`<${joined(extend)}>`);
      const screen = await drawn(shown);
      for (const person of [MAN, WOMAN, GIRL, BOY]) expect(screen, kind).toContain(person);
      expect(await drawnRows(shown, textWidth(shown), panes), JSON.stringify(shown)).toBe(1);
      expect(shown, JSON.stringify(shown)).not.toContain('\u200D');
    }, 30_000);

  it('leaves no grapheme joined by GB11, as Intl.Segmenter splits them, for runs of Extend characters', () => {
    const extend = [
      '',
      '\uFE0E',
      '\uFE0F',
      '\u0301',
      '\u{E0020}',
      '\u{E007F}',
      '\u{1F3FB}',
      '\u200C',
      '\u20E3',
    ];
    const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
    const joinedBy = /\u200D\p{Extended_Pictographic}/u;
    for (const a of extend)
      for (const b of extend) {
        const shown = emojiParts(`x${MAN}${a}${b}\u200D${WOMAN}${b}\u200D\u2764\uFE0F${a}\u200D${BOY}`);
        const left = [...segmenter.segment(shown)].map((s) => s.segment).filter((g) => joinedBy.test(g));
        expect(left, JSON.stringify(shown)).toEqual([]);
      }
  });

  it('keeps the joiner of an Indic conjunct and of text between emoji that are not joined', () => {
    for (const text of ['\u0915\u094D\u200D\u0937', 'a\u200Db', `${MAN}\u200Da`, `a\u0301\u200D${MAN}`])
      expect(emojiParts(text)).toBe(text);
  });
});
