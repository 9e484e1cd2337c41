import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appFromTwoSigners, rollbackRefusal } from '../helpers/bpkg-box.js';
import { bpkg } from '../helpers/pkg.js';

/**
 * QA20's fleet walk: a publisher rotated to a new key, the fleet upgraded to a version signed by
 * it, then the old key was revoked on the box (`bpkg key add revocation.asc`: "nothing it signs is
 * accepted any more"). `bpkg rollback` still made the kept version, signed by the revoked key,
 * current again (and `bpkg install app@1.0.0` of the same bytes was refused). Now the rollback is
 * refused, naming the key, and nothing changes.
 */
describe('bpkg rollback onto a version signed by a revoked key', () => {
  it('is refused (exit 4), naming the key, and the current version stays', async () => {
    const { root, first: old, next, ok } = await appFromTwoSigners('bp-rbrev-', 'next');
    const cert = path.join(old.key.dir, 'revocation.asc');
    writeFileSync(cert, old.key.revocationCertificate);
    await ok('key', 'add', cert);

    const error = await rollbackRefusal(root);
    expect(error.code).toBe('signer-revoked');
    expect(error.message).toContain(old.key.fingerprint.toUpperCase());
    expect(error.message).toContain('1.0.0');
    const list = JSON.parse((await bpkg(root, ['list', '--json'])).stdout);
    expect(list.find((p: { name: string }) => p.name === 'app')).toMatchObject({
      version: '2.0.0',
      signer: next.key.fingerprint,
    });
  });
});
