/**
 * `bpkg key` and `bpkg repo` take one word after add/remove and none after list, but ignored any
 * more: `bpkg key remove A B` stopped trusting A, left B trusted and ended with exit 0, as did `repo
 * remove one two` (only one removed), `key add a.asc b.asc` (only a.asc) and `key list extra`. A
 * script or Ansible task listing several took it as done. Every other command refuses words it
 * would ignore (exit 2); these now do too, before changing anything. The real executable.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GOOD, makeKey, run, signedRepo } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

async function box() {
  const root = tempDir('bp-extra-');
  const a = await makeKey(path.join(tempDir(), 'a'));
  const b = await makeKey(path.join(tempDir(), 'b'));
  const { repo } = await signedRepo([GOOD], a);
  const bp = (...args: string[]) => run(['--root', root, ...args], { argv0: 'bpkg' });
  for (const k of [a, b])
    expect((await bp('key', 'add', k.publicFile, '--fingerprint', k.fingerprint)).code).toBe(0);
  for (const name of ['one', 'two'])
    expect((await bp('repo', 'add', name, pathToFileURL(repo).href, '--key', a.fingerprint)).code).toBe(0);
  const state = async () => ({
    keys: JSON.parse((await bp('--json', 'key', 'list')).stdout).length,
    repos: JSON.parse((await bp('--json', 'repo', 'list')).stdout).map((r: { name: string }) => r.name),
  });
  return { a, b, bp, state };
}

describe('bpkg key and repo refuse the words they would ignore', () => {
  it('key remove A B, repo remove one two, key add F G, the lists with a word: exit 2, nothing changed', async () => {
    const { a, b, bp, state } = await box();
    const before = await state();
    expect(before).toEqual({ keys: 2, repos: ['one', 'two'] });
    // Each with the word it would have ignored: the refusal names it.
    const cases: [string[], string][] = [
      [['key', 'remove', a.fingerprint, b.fingerprint], b.fingerprint],
      [['repo', 'remove', 'one', 'two'], 'two'],
      [['key', 'add', a.publicFile, b.publicFile, '--fingerprint', a.fingerprint], b.publicFile],
      [['key', 'list', 'extra'], 'extra'],
      [['repo', 'list', 'extra'], 'extra'],
    ];
    for (const [args, extra] of cases) {
      const r = await bp(...args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      // The parser's refusal, as every command's (bpkg key remove is a command of its own).
      expect(r.stderr).toMatch(
        new RegExp(
          `^error: bpkg ${args[0]} ${args[1]} takes (no arguments, not |at most 1 argument \\(\\w+\\), not 2: )`,
          'm',
        ),
      );
      expect(r.stderr).toContain(JSON.stringify(extra));
      expect(await state()).toEqual(before);
    }
  });
});
