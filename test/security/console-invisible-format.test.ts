/**
 * REVIEW16's sweep (observed, left to CONSOLE10): format characters that tmux 3.3a draws as nothing
 * and escapeLine passed raw, so two names that differ look the same: a user ID
 * `al<U+200B>ice@example.org` showed as `alice@example.org` beside another key's. The zero width
 * space U+200B, the Mongolian vowel separator U+180E, the word joiner and invisible operators
 * U+2060–2064, the deprecated format controls U+206A–206F, the byte order mark U+FEFF and the
 * interlinear annotation marks U+FFF9–FFFB are shown as `\u{200b}` text now, as the bidi controls.
 * (ZWNJ and ZWJ, U+200C/U+200D, are kept: scripts and emoji need them.) dist/blueprint in tmux, a
 * real OpenPGP key trusted.
 */
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { escapeJson, escapeLine, escapeText } from '../../src/present/escape.js';
import { makeKey } from '../helpers/pkg.js';
import { rootsPerTest } from '../helpers/roots.js';
import { exe, Pane, requireExe } from '../tui/tmux.js';

const t = rootsPerTest('console-format');
beforeEach(() => requireExe());

const INVISIBLE = [
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
    const key = await makeKey(path.join(t.work, 'key'), { name: 'Al\u200bice Repo' });
    const { PackageManager } = await import('../../src/core/pkg/index.js');
    await new PackageManager({ root: t.root }).keyring.add(key.publicKey, key.fingerprint);
    const p = new Pane([exe, '--root', t.root], { width: 160, height: 30 });
    t.defer(async () => p.kill());
    await p.waitFor('Host');
    p.keys('4');
    const s = await p.waitFor('Trusted signing keys (1)');
    expect(s).toContain('Al\\u{200b}ice Repo');
  }, 60_000);

  it('are escaped in lines, text blocks and JSON; ZWNJ and ZWJ are kept', () => {
    for (const c of INVISIBLE) {
      const cp = c.codePointAt(0)!.toString(16);
      expect(escapeLine(`a${c}b`)).toBe(`a\\u{${cp}}b`);
      expect(escapeText(`a${c}\nb`)).toBe(`a\\u{${cp}}\nb`);
      const doc = JSON.stringify({ s: `a${c}` });
      expect(escapeJson(doc)).toBe(`{"s":"a\\u${cp.padStart(4, '0')}"}`);
    }
    expect(escapeLine('\u0915\u094d\u200d\u0937 \u200c')).toBe('\u0915\u094d\u200d\u0937 \u200c');
  });
});
