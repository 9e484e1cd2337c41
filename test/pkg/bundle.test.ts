import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PackageManager } from '../../src/core/pkg/index.js';
import { APP_WITH_LIB, signedRepo, type TestKey, tempDir, trustingRoot } from '../helpers/pkg.js';

let key: TestKey;
let repo: string;
let root: string;

beforeAll(async () => {
  ({ key, repo } = await signedRepo([...APP_WITH_LIB, { name: 'other', version: '1.0.0' }]));
  root = await trustingRoot(key, repo);
});

/** A box with no network: it trusts the publisher's key and reads the stick as a folder. */
async function airGapped(dir: string) {
  const pm = new PackageManager({ root: tempDir('bp-root-') });
  const pub = readFileSync(path.join(dir, 'keys', `${key.fingerprint}.pub.asc`), 'utf8');
  await pm.keyring.add(pub, key.fingerprint);
  await pm.repos.add('usb', dir, { keys: [key.fingerprint] });
  return pm;
}

describe('bpkg bundle', () => {
  it('writes the publisher-signed index, the packages with their dependencies and their own signatures', async () => {
    const out = path.join(tempDir(), 'stick');
    const r = await new PackageManager({ root }).bundle(['app'], out);
    expect(r.repositories.map((x) => x.name)).toEqual(['main']);
    expect(r.repositories[0]?.packages.sort()).toEqual(['app@1.0.0', 'base-lib@1.0.0']);
    const dir = path.join(out, 'main');
    for (const f of [
      'index.json',
      'index.json.asc',
      'pool/app/app_1.0.0_all.bpkg.asc',
      'pool/app/app_1.0.0_all.bpkg',
    ])
      expect(readFileSync(path.join(dir, f)).equals(readFileSync(path.join(repo, f)))).toBe(true);
    expect(() => readFileSync(path.join(dir, 'pool/other/other_1.0.0_all.bpkg'))).toThrow();
    const pm = await airGapped(dir);
    expect((await pm.update())[0]).toMatchObject({ ok: true });
    await pm.install(['app']);
    expect((await pm.installed()).map((p) => p.name).sort()).toEqual(['app', 'base-lib']);
    // What the bundle lacks is not installable from it, and the admin is told why (the publisher's
    // index lists it: 'Check the repository path' sent them after a path that was right).
    await expect(pm.install(['other'])).rejects.toMatchObject({
      code: 'not-found-remote',
      message: expect.stringContaining('lists other 1.0.0 but has no file for it'),
      hint: expect.stringContaining('`bpkg bundle`'),
    });
  });

  it('a package altered on the stick is refused by the air-gapped box', async () => {
    const out = path.join(tempDir(), 'stick');
    await new PackageManager({ root }).bundle(['base-lib'], out);
    const dir = path.join(out, 'main');
    const f = path.join(dir, 'pool/base-lib/base-lib_1.0.0_all.bpkg');
    const bytes = readFileSync(f);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 5) ^ 1, bytes.length - 5);
    writeFileSync(f, bytes);
    const pm = await airGapped(dir);
    expect((await pm.update())[0]).toMatchObject({ ok: true });
    await expect(pm.install(['base-lib'])).rejects.toMatchObject({ code: 'hash-mismatch' });
    expect(await pm.installed()).toEqual([]);
  });

  it('refuses a folder that is not empty, and a name no repository offers', async () => {
    const out = tempDir();
    mkdirSync(path.join(out, 'x'));
    await expect(new PackageManager({ root }).bundle(['app'], out)).rejects.toMatchObject({
      code: 'bundle-target-not-empty',
    });
    await expect(new PackageManager({ root }).bundle(['nope'], tempDir())).rejects.toMatchObject({
      code: expect.stringMatching(/not-found/),
    });
  });
});

describe('bpkg bundle --out where no folder can be made', () => {
  it('fails with a storage error, not a loop at 100 % CPU', async () => {
    // /proc answers mkdir with ENOENT for a parent that exists: Node's recursive mkdir retried it
    // for ever (the command never ended). Ours makes the folders one by one.
    const err = await new PackageManager({ root }).bundle(['app'], '/proc/bp-no-such/stick').catch((e) => e);
    expect(err).toMatchObject({ code: 'not-writable', exitCode: 7 });
    expect(err.message).toContain('/proc/bp-no-such/stick');
  });
});
