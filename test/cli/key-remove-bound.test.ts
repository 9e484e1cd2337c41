/**
 * `bpkg key remove FPR` of the one key a repository is bound to said only 'no longer trusting FPR'
 * (exit 0): the repository stays listed with its packages (`bpkg search` shows them), and the next
 * `bpkg install` is refused ('signed by an untrusted key', exit 4) with a hint to trust a key,
 * nothing saying which repository lost its signer. The removal now names the repositories no
 * trusted key signs any more and what to do. A repository another trusted key still signs is not
 * named. The real executable, as bpkg.
 */
import { describe, expect, it } from 'vitest';
import { bpkg, makeKey, signedRepo, tempDir } from '../helpers/pkg.js';

describe('bpkg key remove of the key a repository is bound to', () => {
  it('names the repository left without a trusted signer, and how to fix it', async () => {
    const { key, repo } = await signedRepo([{ name: 'hello-data', version: '1.0.0' }]);
    const other = await makeKey(tempDir('bp-key-other-'));
    const root = tempDir('bp-root-');
    for (const k of [key, other])
      expect((await bpkg(root, ['key', 'add', k.publicFile, '--fingerprint', k.fingerprint])).code).toBe(0);
    expect((await bpkg(root, ['repo', 'add', 'main', repo, '--key', key.fingerprint])).code).toBe(0);
    expect((await bpkg(root, ['update'])).code).toBe(0);

    // A key no repository is bound to: nothing more said.
    const lone = await bpkg(root, ['key', 'remove', other.fingerprint]);
    expect(lone.code, lone.stderr).toBe(0);
    expect(lone.stderr).not.toContain('main');

    const r = await bpkg(root, ['key', 'remove', key.fingerprint]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('no longer trusting');
    expect(r.stderr).toContain(
      'warning: no trusted key signs repository main now: its index and packages are refused',
    );
    expect(r.stderr).toContain(`bpkg --root ${root} repo set-key main FPR`);
    expect(r.stderr).toContain(`bpkg --root ${root} repo remove main`);
  });
});
