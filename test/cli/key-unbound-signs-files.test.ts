/**
 * KEYS5: `bpkg key list` said "A key with no repositories signs nothing here", yet `bpkg install
 * ./x.bpkg` accepts a package file signed by any trusted key, bound or not (local-package.ts), and
 * a rollback to a version of a repository removed since does too (origin-keys.ts). The texts now
 * say what such a key signs: package files, and no repository's index or packages until one is
 * bound to it. This pins the words to the behaviour: a key bound to no repository, the list's and
 * key add's words, and the install of a file it signed (the real bpkg, a real OpenPGP key).
 */
import { describe, expect, it } from 'vitest';
import { bpkg, GOOD, poolArchive, signedRepo, tempDir } from '../helpers/pkg.js';

describe('a trusted key bound to no repository', () => {
  it('key add and key list say it signs package files; a file it signed installs', async () => {
    const { key, repo } = await signedRepo([GOOD]);
    const root = tempDir('bp-key-unbound-');

    const add = await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint]);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/^trusted /);
    expect(add.stdout).toContain('package file');
    expect(add.stdout).toContain(`\`bpkg --root ${root} repo set-key NAME`);

    const list = await bpkg(root, ['key', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('repositories: none');
    expect(list.stdout).not.toMatch(/signs nothing/);
    expect(list.stdout).toContain('package file');
    expect(list.stdout).toContain(`install ./NAME.bpkg`);

    // What the words promise: the file it signed is accepted, no repository configured at all.
    const install = await bpkg(root, ['--yes', 'install', poolArchive(repo, 'good')]);
    expect(install.code, install.stdout + install.stderr).toBe(0);
    const listed = JSON.parse((await bpkg(root, ['--json', 'list'])).stdout) as { name: string }[];
    expect(listed.map((p) => p.name)).toContain('good');
  });

  it("the help of key, install and rollback says a package file may be any trusted key's", async () => {
    for (const words of [
      ['key', 'add', '--help'],
      ['key', 'list', '--help'],
      ['install', '--help'],
      ['rollback', '--help'],
    ]) {
      const r = await bpkg(tempDir('bp-key-help-'), words);
      expect(r.code, words.join(' ')).toBe(0);
      const text = r.stdout.replace(/\s+/g, ' ');
      expect(text, words.join(' ')).toMatch(/package file/);
      expect(text, words.join(' ')).toMatch(/may be signed by any trusted key/);
    }
  });

  it('the help of rollback and verify says the rules a kept version is judged by', async () => {
    const help = async (cmd: string) =>
      (await bpkg(tempDir('bp-key-help-'), [cmd, '--help'])).stdout.replace(/\s+/g, ' ');
    const rollback = await help('rollback');
    expect(rollback).toContain(
      'only if an install of the same bytes from where they came would be accepted today',
    );
    for (const code of ['signer-revoked', 'untrusted-signer', 'wrong-repository-key', 'key-not-valid'])
      expect(rollback).toContain(code);
    expect(rollback).toMatch(/expired since is warned of, and the rollback goes ahead/);
    const verify = await help('verify');
    for (const code of ['signer-revoked', 'signer-untrusted', 'signer-wrong-repository'])
      expect(verify).toContain(code);
    expect(verify).toMatch(/expired since is not/);
  });
});
