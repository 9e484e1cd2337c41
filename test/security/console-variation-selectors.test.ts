/**
 * CONSOLE10: variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF) draw as nothing, and a run of
 * them after one character can carry any bytes ("emoji smuggling": byte b as U+FE00+b below 16,
 * else U+E0100+b−16), a hidden word in a key's user ID, a package's description or a log line, as
 * the tag characters could (console-tag-characters). One selector after its base is how an emoji
 * (❤️), a keycap (1️⃣) or an ideograph's variant (葛󠄀) is written, and stays; a selector after
 * another selector, and one of U+E0100–E01EF after anything but an ideograph, are shown as
 * `\u{e0135}` text. dist/blueprint in tmux, a real OpenPGP key trusted.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { escapeJson, escapeLine, escapeText } from '../../src/present/escape.js';
import { keysScreenWithUserId } from '../helpers/keys-screen.js';
import { rootsPerTest } from '../helpers/roots.js';
import { requireExe } from '../tui/tmux.js';

const t = rootsPerTest('console-vs');
beforeEach(() => requireExe());

/** `word`'s bytes as variation selectors, the smuggling encoding. */
const smuggled = (word: string) =>
  [...Buffer.from(word)].map((b) => String.fromCodePoint(b < 16 ? 0xfe00 + b : 0xe0100 + b - 16)).join('');

describe('variation selectors in hostile text', () => {
  it("a key's user ID with a word in selectors after an emoji shows them as escapes on the Keys screen", async () => {
    const s = await keysScreenWithUserId(t, `Fleet Repo \u{1f600}${smuggled('EVIL')}`);
    expect(s).toContain('Fleet Repo \u{1f600}\\u{e0135}\\u{e0146}\\u{e0139}\\u{e013c}');
  }, 60_000);

  it('one selector after its base stays (emoji, keycap, text style, ideograph); runs and stray ones are escaped', () => {
    for (const kept of [
      '\u2764\ufe0f',
      '1\ufe0f\u20e3',
      '\u2764\ufe0e',
      '\u845b\u{e0100}',
      '\u{20000}\u{e0101}',
    ])
      expect(escapeLine(`a ${kept} b`)).toBe(`a ${kept} b`);
    expect(escapeLine(`x${smuggled('Hi')}`)).toBe('x\\u{e0138}\\u{e0159}');
    // The first of a run after an emoji is its presentation selector; the rest are escaped.
    expect(escapeLine('\u2764\ufe0f\ufe0f\ufe01')).toBe('\u2764\ufe0f\\u{fe0f}\\u{fe01}');
    expect(escapeText(`\u{1f600}${smuggled('A')}\nb`)).toBe('\u{1f600}\\u{e0131}\nb');
    const doc = JSON.stringify({ s: `x${smuggled('A')}` });
    expect(escapeJson(doc)).toBe('{"s":"x\\udb40\\udd31"}');
    expect(JSON.parse(escapeJson(doc))).toEqual(JSON.parse(doc));
  });
});
