/**
 * Undoing a revocation by adding the key again. The admin revokes a compromised key with its
 * revocation certificate (`bpkg key add revocation.asc`, 0f9f0113). Later the same key's public
 * file comes by again, unrevoked (the publisher's keys/ folder, a stick, the line `A box adds it
 * with: bpkg key add …` that every repo build prints, a provisioning script run again). `key add`
 * replaced the stored copy with the file given, so the revocation was dropped without a word and the
 * box installed what the compromised key signs once more. gpg never drops a revocation on import:
 * neither does this. The real executable.
 */
import { describe, expect, it } from 'vitest';
import { bpkg } from '../helpers/pkg.js';
import { revokedKeyBox } from '../helpers/revoked-key.js';

describe('bpkg key add of a revoked key again', () => {
  it('keeps the revocation: the key stays revoked and its repository refused', async () => {
    const { key, root, revoked } = await revokedKeyBox();
    expect(revoked.code, revoked.stderr).toBe(0);

    // The unrevoked public key, added again as the repository's instructions say.
    const again = await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint]);
    const install = await bpkg(root, ['install', 'hello-data', '--yes']);
    expect(install.code, install.stderr).toBe(4);
    expect(install.stderr).toMatch(/revoked/);
    expect((await bpkg(root, ['key', 'list'])).stdout).toContain('[REVOKED]');
    // And the admin is told the key stays revoked, not that it is trusted.
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`revoked ${key.fingerprint.toUpperCase()}`);
  });
});
