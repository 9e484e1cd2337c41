/**
 * ROLLKEY: `bpkg rollback` judged a kept version's signing key for revocation only; one whose key
 * had expired since was made current without a word, and one carrying a signature dated after
 * its key expired (which no check ever accepts) too. Expiry is not revocation: OpenPGP and GnuPG
 * hold a signature made while its key was valid good after the key expires (GnuPG: "Good
 * signature", EXPKEYSIG, "Note: This key has expired!"), and the version's bytes were judged at its
 * install by a key valid then. So the rollback goes ahead and says the key expired; a signature
 * dated after the expiry is refused. Real keys: OpenPGP.js's, and one GnuPG made itself (its own
 * expiry self-signature), with GnuPG's own verdict on the kept signature. The box is made and
 * the versions installed with the real bpkg while the key is valid; the rollback runs in the
 * package manager with its clock two days on (`now`), when the key has expired.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { PackageManager } from '../../src/core/pkg/index.js';
import { bpkgBox } from '../helpers/bpkg-box.js';
import { bpkg, exec, makeKey, publishSources, type TestKey, tempDir } from '../helpers/pkg.js';
import { poolFile } from '../helpers/two-repos.js';

const DAY = 86_400_000;
const later = () => new Date(Date.now() + 2 * DAY);
const state = (root: string, ...rest: string[]) => path.join(root, 'var/lib/blueprint/pkg', ...rest);

/** A box with app 1.0.0 then 2.0.0 installed from repository main, signed by `key` (valid now). */
async function upgradedWith(key: TestKey, tag: string): Promise<{ root: string; repo: string }> {
  const repo = path.join(tempDir(`bp-${tag}-`), 'repo');
  await publishSources(repo, key, [
    { name: 'app', version: '1.0.0' },
    { name: 'app', version: '2.0.0' },
  ]);
  const root = await bpkgBox(`bp-${tag}-root-`, key, repo);
  for (const v of ['1.0.0', '2.0.0']) {
    const r = await bpkg(root, ['install', `app@${v}`, '--yes']);
    expect(r.code, r.stderr).toBe(0);
  }
  return { root, repo };
}

/** The package manager at `root`, its clock at `at`, and the warnings it gives. */
function managerAt(root: string, at: Date) {
  const warnings: string[] = [];
  return { pm: new PackageManager({ root, now: () => at, warn: (l) => warnings.push(l) }), warnings };
}

const version = (root: string) =>
  JSON.parse(readFileSync(state(root, 'installed.json'), 'utf8')).packages.app.version;

describe('bpkg rollback onto a version whose signing key has expired since', () => {
  it('OpenPGP.js key: made current, with a warning naming the key and its expiry', async () => {
    const key = await makeKey(path.join(tempDir('bp-rbexp-key-'), 'key'), { expiresInSeconds: 86_400 });
    const { root } = await upgradedWith(key, 'rbexp');
    const { pm, warnings } = managerAt(root, later());
    await pm.rollback('app');
    expect(version(root)).toBe('1.0.0');
    expect(warnings.join('\n')).toContain(
      `signed by key ${key.fingerprint.toUpperCase()}, which expired on `,
    );
    expect(warnings.join('\n')).toContain('a signature made before its key expired stays good');
    // The same box at the same time refuses a new signature by that key: its index.
    const [o] = await pm.update();
    expect(o?.ok).toBe(false);
    // While the key is valid, nothing is said.
    const now = managerAt(root, new Date());
    await now.pm.rollback('app');
    expect(version(root)).toBe('2.0.0');
    expect(now.warnings).toEqual([]);
  });

  it('a kept signature dated after the key expired (made by a renewed copy the box does not have): refused', async () => {
    const key = await makeKey(path.join(tempDir('bp-rbexp2-key-'), 'key'), { expiresInSeconds: 86_400 });
    const { root } = await upgradedWith(key, 'rbexp2');
    // The publisher renewed the key (new self-signatures, no expiry) and signed again, a day and a
    // half on; the box still holds the copy that expires after one day.
    const { privateKey: renewed } = await openpgp.reformatKey({
      privateKey: await openpgp.readPrivateKey({ armoredKey: key.privateKey }),
      userIDs: [{ name: 'Test repository', email: 'test@blueprintos.invalid' }],
      keyExpirationTime: 0,
      format: 'object',
    });
    expect(renewed.getFingerprint()).toBe(key.fingerprint.toLowerCase());
    const message = await openpgp.createMessage({ binary: new Uint8Array([1, 2, 3]) });
    const date = new Date(Date.now() + 1.5 * DAY);
    const sig = await openpgp.sign({ message, signingKeys: renewed, detached: true, format: 'binary', date });
    const list = state(root, 'files/app_1.0.0.json');
    const kept = JSON.parse(readFileSync(list, 'utf8'));
    kept.signature = Buffer.from(sig as Uint8Array).toString('base64');
    writeFileSync(list, JSON.stringify(kept));
    const { pm } = managerAt(root, later());
    await expect(pm.rollback('app')).rejects.toMatchObject({
      code: 'key-not-valid',
      message: expect.stringContaining('no check accepts a signature made after its key expired'),
    });
    expect(version(root)).toBe('2.0.0');
  });

  it('GnuPG key (its own expiry): made current with the warning; GnuPG calls the kept signature good, by an expired key', async () => {
    const home = tempDir('bp-rbexp-gpg-');
    const env = { ...process.env, GNUPGHOME: home };
    const uid = 'GnuPG Publisher <gpg@blueprintos.invalid>';
    await exec('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', uid, 'ed25519', 'sign', '1d'], {
      env,
    });
    const { stdout: colons } = await exec('gpg', ['--batch', '--with-colons', '--list-keys'], { env });
    const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(colons)![1]!;
    const dir = tempDir('bp-rbexp-gpgkey-');
    const exported = async (...args: string[]) =>
      (await exec('gpg', ['--batch', '--armor', ...args, fingerprint], { env })).stdout;
    const key: TestKey = {
      dir,
      privateFile: path.join(dir, 'signing-key.asc'),
      publicFile: path.join(dir, 'signing-key.pub.asc'),
      privateKey: await exported('--pinentry-mode', 'loopback', '--passphrase', '', '--export-secret-keys'),
      publicKey: await exported('--export'),
      revocationCertificate: '',
      fingerprint: fingerprint.toLowerCase(),
    };
    writeFileSync(key.privateFile, key.privateKey);
    writeFileSync(key.publicFile, key.publicKey);
    const { root, repo } = await upgradedWith(key, 'rbexpgpg');
    const { pm, warnings } = managerAt(root, later());
    await pm.rollback('app');
    expect(version(root)).toBe('1.0.0');
    expect(warnings.join('\n')).toContain(`signed by key ${fingerprint}, which expired on `);

    // GnuPG's verdict on the signature the box kept, over the package it signed, two days on.
    const kept = JSON.parse(readFileSync(state(root, 'files/app_1.0.0.json'), 'utf8'));
    const sigFile = path.join(dir, 'app.sig');
    writeFileSync(sigFile, Buffer.from(kept.signature, 'base64'));
    const pkgFile = poolFile(repo, 'app', '1.0.0');
    const faked = `${Math.floor(later().getTime() / 1000)}!`;
    const gpgv = await exec(
      'gpg',
      ['--batch', '--status-fd', '1', '--faked-system-time', faked, '--verify', sigFile, pkgFile],
      { env },
    ).catch((err: { stdout: string; stderr: string; code: number }) => err);
    expect(gpgv.stdout).toContain(`EXPKEYSIG ${fingerprint.slice(-16)}`);
    expect(gpgv.stdout).toContain('VALIDSIG');
  });
});
