/**
 * CONSOLE10: the tag characters (U+E0001, U+E0020–U+E007F) are invisible: a terminal draws them as
 * nothing (tmux 3.3a, as glibc's wcwidth, gives them no column) and string-width counts them 0. Only
 * inside an emoji tag sequence (🏴 + tags + U+E007F, the England, Scotland and Wales flags) do they
 * mean anything; anywhere else a key's user ID, a package's description or a log line could carry
 * words no one sees on the screen (`Fleet Repo` holding `EVIL` in tags). escapeLine/escapeText/
 * escapeJson (src/present/escape.ts) show them as `\u{e0045}` text, and keep the three flags whole.
 * dist/blueprint in tmux, a real OpenPGP key trusted.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { escapeJson, escapeLine, escapeText } from '../../src/present/escape.js';
import { keysScreenWithUserId } from '../helpers/keys-screen.js';
import { rootsPerTest } from '../helpers/roots.js';
import { exe, requireExe } from '../tui/tmux.js';

const t = rootsPerTest('console-tags');
beforeEach(() => requireExe());

/** `word` spelled in tag characters: invisible on every terminal. */
const hidden = (word: string) =>
  [...word].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('');
const ENGLAND = '\u{1f3f4}\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}';
const SCOTLAND = '\u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}';
const WALES = '\u{1f3f4}\u{e0067}\u{e0062}\u{e0077}\u{e006c}\u{e0073}\u{e007f}';

describe('tag characters in hostile text', () => {
  it("a key's user ID with a hidden word shows it as escapes on the Keys screen; the England flag is still a flag", async () => {
    const name = `Fleet Repo${hidden('EVIL')} ${ENGLAND}`;
    const s = await keysScreenWithUserId(t, name);
    expect(s).toContain('Fleet Repo\\u{e0045}\\u{e0056}\\u{e0049}\\u{e004c}');
    // The flag: tmux 3.3a keeps its first 21 bytes (🏴 and four tags) in one cell; never escaped.
    expect(s).toContain('\u{1f3f4}');
    expect(s).not.toContain('\\u{e0067}');
    expect(s).not.toContain('\\u{e007f}');
    // The CLI's table says the same (bpkg key list, through the CLI's escaped output).
    const out = execFileSync(path.join(path.dirname(exe), 'bpkg'), ['--root', t.root, 'key', 'list'], {
      encoding: 'utf8',
    });
    expect(out).toContain('Fleet Repo\\u{e0045}\\u{e0056}\\u{e0049}\\u{e004c}');
    expect(out).toContain(ENGLAND);
  }, 60_000);

  it('are escaped in lines, text blocks and JSON (which stays valid and equal); the three flags are kept', () => {
    expect(escapeLine(`a${hidden('x')}b\u{e0001}`)).toBe('a\\u{e0078}b\\u{e0001}');
    expect(escapeText(`a${hidden('x')}\nb`)).toBe('a\\u{e0078}\nb');
    for (const flag of [ENGLAND, SCOTLAND, WALES]) {
      expect(escapeLine(`x ${flag} y`)).toBe(`x ${flag} y`);
      expect(escapeText(`x ${flag}\ny`)).toBe(`x ${flag}\ny`);
    }
    // A black flag carrying any other tags is no flag a terminal draws: its tags are hidden words.
    const fake = `\u{1f3f4}${hidden('evil')}\u{e007f}`;
    expect(escapeLine(fake)).toBe('\u{1f3f4}\\u{e0065}\\u{e0076}\\u{e0069}\\u{e006c}\\u{e007f}');
    // Tags around a real flag: the flag kept, the rest escaped.
    expect(escapeLine(`${hidden('a')}${ENGLAND}${hidden('b')}`)).toBe(`\\u{e0061}${ENGLAND}\\u{e0062}`);
    const doc = JSON.stringify({ s: `a${hidden('x')}b ${ENGLAND}` });
    const escaped = escapeJson(doc);
    expect(escaped).toBe(`{"s":"a\\udb40\\udc78b ${ENGLAND}"}`);
    expect(JSON.parse(escaped)).toEqual(JSON.parse(doc));
  });
});
