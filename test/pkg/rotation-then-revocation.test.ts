/**
 * The rotation keys/README.md describes, then the old key's revocation (found by the QA6 walk): a
 * publisher rotates from key A to key B (`repo rotate-key`, keys/rotation.json signed by A), builds
 * with B; a box updates and trusts B for the repository. A is compromised, its revocation
 * certificate published, and the box imports it. Every later `bpkg update` of the repository was
 * refused: 'REFUSED: Key rotation notice of main: no good signature ... Primary key is revoked',
 * although the index is signed by B, because the notice A signed stays in the repository. A notice
 * that announces a key this repository is already bound to changes nothing: it is passed over. One
 * announcing a key not bound yet is still refused when it does not verify. The real executable.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkg, makeKey, publishSources, signedRepo, tempDir } from '../helpers/pkg.js';
import { rotateKey } from '../helpers/rotate-key.js';

describe('a rotation notice signed by the old key, once the old key is revoked', () => {
  it('does not stop the updates of a box that already moved to the new key', async () => {
    const { key: a, repo } = await signedRepo([{ name: 'hello-data', version: '1.0.0' }]);
    const b = await makeKey(tempDir('bp-key-b-'));
    const root = tempDir('bp-root-');
    const late = tempDir('bp-root-late-');
    for (const r of [root, late]) {
      expect((await bpkg(r, ['key', 'add', a.publicFile, '--fingerprint', a.fingerprint])).code).toBe(0);
      expect((await bpkg(r, ['repo', 'add', 'main', repo, '--key', a.fingerprint])).code).toBe(0);
      expect((await bpkg(r, ['update'])).code).toBe(0);
    }

    const rot = await rotateKey(repo, a, b);
    expect(rot.code, rot.stderr).toBe(0);
    await publishSources(repo, b, [{ name: 'hello-data', version: '1.1.0' }]);
    const moved = await bpkg(root, ['update']);
    expect(moved.code, moved.stdout + moved.stderr).toBe(0);
    expect(moved.stdout).toContain('now trusts rotated key');

    const cert = path.join(a.dir, 'revocation.asc');
    writeFileSync(cert, a.revocationCertificate);
    for (const r of [root, late]) expect((await bpkg(r, ['key', 'add', cert])).code).toBe(0);
    await publishSources(repo, b, [{ name: 'hello-data', version: '1.2.0' }]);

    const u = await bpkg(root, ['update']);
    expect(u.code, u.stdout + u.stderr).toBe(0);
    expect(u.stdout).toContain('main: updated');
    const i = await bpkg(root, ['install', 'hello-data@1.2.0', '--yes']);
    expect(i.code, i.stderr).toBe(0);

    // A box that never took the new key cannot take it from a notice its revoked key signed.
    const l = await bpkg(late, ['update']);
    expect(l.code).toBe(4);
    expect(l.stdout + l.stderr).toContain('Key rotation notice of main');
  });
});
