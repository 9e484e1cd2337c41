import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PackageManager } from '../../src/core/pkg/index.js';
import {
  bpkg,
  buildRepo,
  exec,
  makeKey,
  makeSource,
  type TestKey,
  tempDir,
  trustingRoot,
} from '../helpers/pkg.js';
import { gpgSignedRepoOnBox } from './gpg-setup.js';

describe('OpenPGP interop with GnuPG', () => {
  let ours: TestKey;
  beforeAll(async () => {
    ours = await makeKey(path.join(tempDir(), 'ours'));
  });

  it('a repository signed by gpg (key made by gpg) verifies and installs in our code', async () => {
    const root = tempDir('bp-root-');
    const { g } = await gpgSignedRepoOnBox({
      base: tempDir(),
      root,
      name: 'gpgpkg',
      keyFile: 'gpg.pub.asc',
      repoAs: 'g',
    });
    const inst = await bpkg(root, ['--json', 'install', 'gpgpkg']);
    expect(inst.code, inst.stderr).toBe(0);
    const [pkg] = JSON.parse((await bpkg(root, ['list', '--json'])).stdout);
    expect(pkg.signer).toBe(g.fingerprint);
  });

  it('our signatures verify with gpgv, and a tampered file fails gpgv', async () => {
    const base = tempDir();
    const repo = path.join(base, 'repo');
    await buildRepo(repo, ours, [makeSource(base, { name: 'x', version: '1.0.0' })]);
    const keyring = path.join(base, 'ours.gpg');
    await exec('sh', ['-c', `gpg --dearmor < "${ours.publicFile}" > "${keyring}"`]);
    const ok = await exec('gpgv', [
      '--keyring',
      keyring,
      path.join(repo, 'index.json.asc'),
      path.join(repo, 'index.json'),
    ]);
    expect(ok.stderr).toMatch(/Good signature/);
    await exec('gpgv', [
      '--keyring',
      keyring,
      path.join(repo, 'pool/x/x_1.0.0_all.bpkg.asc'),
      path.join(repo, 'pool/x/x_1.0.0_all.bpkg'),
    ]);
    writeFileSync(path.join(repo, 'index.json'), '{"tampered": true}');
    await expect(
      exec('gpgv', ['--keyring', keyring, path.join(repo, 'index.json.asc'), path.join(repo, 'index.json')]),
    ).rejects.toMatchObject({
      stderr: expect.stringMatching(/BAD signature/),
    });
  });

  it('key rotation: a new key announced and signed by the trusted old key becomes trusted', async () => {
    const base = tempDir();
    const repo = path.join(base, 'repo');
    await buildRepo(repo, ours, [makeSource(base, { name: 'r', version: '1.0.0' })]);
    const root = await trustingRoot(ours, repo);
    const next = await makeKey(path.join(base, 'next'));
    const { announceKeyRotation } = await import('../../src/core/pkg/index.js');
    await announceKeyRotation(repo, next.publicKey, next.fingerprint, { keyFile: ours.privateFile });
    await buildRepo(repo, next, [makeSource(base, { name: 'r', version: '2.0.0' })]);
    const pm = new PackageManager({ root });
    const [o] = await pm.update();
    expect(o).toMatchObject({ ok: true, rotatedKey: next.fingerprint });
    expect((await pm.keyring.list()).map((k) => k.fingerprint).sort()).toEqual(
      [ours.fingerprint, next.fingerprint].sort(),
    );
    await pm.install(['r']);
    expect((await pm.installed())[0]).toMatchObject({ version: '2.0.0', signer: next.fingerprint });
  });

  it('a rotation notice signed by an untrusted key is refused', async () => {
    const base = tempDir();
    const repo = path.join(base, 'repo');
    await buildRepo(repo, ours, [makeSource(base, { name: 'r', version: '1.0.0' })]);
    const root = await trustingRoot(ours, repo);
    const attacker = await makeKey(path.join(base, 'attacker'));
    const { announceKeyRotation } = await import('../../src/core/pkg/index.js');
    await announceKeyRotation(repo, attacker.publicKey, attacker.fingerprint, {
      keyFile: attacker.privateFile,
    });
    const pm = new PackageManager({ root });
    const [o] = await pm.update();
    expect(o).toMatchObject({ ok: false, error: { code: 'untrusted-signer' } });
    expect((await pm.keyring.list()).map((k) => k.fingerprint)).toEqual([ours.fingerprint]);
  });
});
