/**
 * A box with a repository added but no key trusted for it: `bpkg repo add` said 'added …; run
 * `bpkg update`', the update was refused (untrusted key), and then `bpkg search hello` said 'No
 * matching packages (run `bpkg update` to refresh the indexes)' and `bpkg install hello` 'Run `bpkg
 * update`, or check the name with `bpkg search`': around in a circle, never to the key. Now repo add
 * says no key is trusted yet and how to trust it; search and install say that no repository has a
 * verified index yet, which repository, and that its update says why (the key). The real executable.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkg, GOOD, makeKey, signedRepo, tempDir } from '../helpers/pkg.js';

describe('a repository with no verified index', () => {
  it('repo add, search and install lead to the missing key', async () => {
    const { key, repo } = await signedRepo([GOOD]);
    const root = tempDir('bp-noindex-');
    const add = await bpkg(root, ['repo', 'add', 'main', repo]);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stderr).toMatch(
      /no key is trusted on this box yet: trust the publisher's key first \(`bpkg (--root \S+ )?key add FILE --fingerprint FPR`\)/,
    );
    expect((await bpkg(root, ['update'])).code).toBe(4);

    for (const argv of [['search', 'good'], ['search']]) {
      const s = await bpkg(root, argv);
      expect(s.code).toBe(0);
      expect(s.stdout).toContain('No matching packages: no repository has a verified index yet (main)');
      expect(s.stdout).not.toContain('refresh the indexes');
    }
    const i = await bpkg(root, ['install', 'good']);
    expect(i.code).toBe(3);
    expect(i.stderr).toContain('No repository has a verified index yet (main)');
    expect(i.stderr).toContain(`run \`bpkg --root ${root} update\` to fetch it; a refused update says why`);
    expect(i.stderr).toContain(`\`bpkg --root ${root} key add FILE --fingerprint FPR\``);

    // With the key trusted: all as before.
    expect((await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint])).code).toBe(0);
    expect((await bpkg(root, ['update'])).code).toBe(0);
    expect((await bpkg(root, ['search', 'nothing-like-it'])).stdout).toContain('No matching packages (run');
  });

  it('repo add with several keys trusted and none named says to bind one', async () => {
    const { key, repo } = await signedRepo([GOOD]);
    const other = await makeKey(path.join(tempDir(), 'k2'));
    const root = tempDir('bp-noindex-');
    for (const k of [key, other])
      expect((await bpkg(root, ['key', 'add', k.publicFile, '--fingerprint', k.fingerprint])).code).toBe(0);
    const add = await bpkg(root, ['repo', 'add', 'main', repo]);
    expect(add.code).toBe(0);
    expect(add.stderr).toMatch(
      /several keys are trusted: name the one that signs main \(`bpkg (--root \S+ )?repo set-key main FPR`\)/,
    );
    // One trusted key: bound at the first update, nothing to say.
    const one = tempDir('bp-noindex-');
    expect((await bpkg(one, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint])).code).toBe(0);
    expect((await bpkg(one, ['repo', 'add', 'main', repo])).stderr).toBe('');
  });
});
