/**
 * A publisher whose key is compromised publishes the revocation certificate `blueprint repo keygen`
 * wrote beside the key (keys/README.md: "publish it if the old key is compromised"). `bpkg key add
 * revocation.asc` refused it as 'Not an OpenPGP public key: No key packet found', with the hint to
 * export a public key: the admin could not revoke the key on the box, which went on installing what
 * it signs. Now the certificate is applied to the trusted key it revokes (checked against it): the
 * key shows [REVOKED] and its repository is refused. A certificate for a key the box does not
 * trust, or one that does not verify, is refused saying so, nothing changed. The real executable.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkg, makeKey, tempDir } from '../helpers/pkg.js';
import { revokedKeyBox } from '../helpers/revoked-key.js';

describe('bpkg key add of a revocation certificate', () => {
  it('revokes the trusted key it is for; its repository is refused from then on', async () => {
    const { key, root, revoked: r } = await revokedKeyBox();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`revoked ${key.fingerprint.toUpperCase()}`);

    const list = await bpkg(root, ['key', 'list']);
    expect(list.stdout).toContain('[REVOKED]');
    const install = await bpkg(root, ['install', 'hello-data', '--yes']);
    expect(install.code, install.stderr).toBe(4);
    expect(install.stderr).toMatch(/revoked/);
  });

  it('refuses a certificate for a key the box does not trust, or one that does not verify', async () => {
    const trusted = await makeKey(tempDir('bp-key-'));
    const stranger = await makeKey(tempDir('bp-key-'));
    const root = tempDir('bp-root-');
    expect(
      (await bpkg(root, ['key', 'add', trusted.publicFile, '--fingerprint', trusted.fingerprint])).code,
    ).toBe(0);

    const foreign = path.join(stranger.dir, 'revocation.asc');
    writeFileSync(foreign, stranger.revocationCertificate);
    const r = await bpkg(root, ['key', 'add', foreign]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('revocation certificate');
    expect(r.stderr).toContain('does not trust');
    expect(r.stderr).toMatch(/hint: .*nothing was changed/);

    // The trusted key's own certificate with one byte of its signature changed: it names the key,
    // but does not verify against it, so nothing is revoked.
    const { unarmor, armor, enums } = await import('openpgp');
    const bytes = Uint8Array.from((await unarmor(trusted.revocationCertificate)).data as Uint8Array);
    bytes[bytes.length - 1]! ^= 0x01;
    const forged = path.join(stranger.dir, 'forged.asc');
    writeFileSync(forged, armor(enums.armor.publicKey, bytes));
    const f = await bpkg(root, ['key', 'add', forged]);
    expect(f.code, f.stdout).toBe(4);
    expect(f.stderr).toContain('does not verify');
    expect((await bpkg(root, ['key', 'list'])).stdout).not.toContain('[REVOKED]');
  });
});
