// `blueprint system update --from REPO`: a RAUC bundle that travels as the bpkg package
// `system-bundle`, with real OpenPGP keys (repository indexes and packages signed as `repo build`
// signs them) and the real RAUC 1.8 service of test/update/rauc-sandbox.ts. Two signatures, in
// order: the package's by a key bound to that repository, then RAUC's over the bundle.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { buildRepository } from '../../src/app/publish.js';
import { signFile } from '../../src/core/pkg/build.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { makeKey, makeSource, type TestKey, tempDir } from '../helpers/pkg.js';
import { cliIn, RaucSandbox, raucMissing } from './rauc-sandbox.js';

const missing = raucMissing();
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe.skipIf(missing)(
  `system update --from REPO with real OpenPGP and RAUC${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    const box = new RaucSandbox();
    const work = tempDir('bp-sysrepo-');
    const saved = process.env.DBUS_SYSTEM_BUS_ADDRESS;
    let publisher: TestKey; // bound to updates, mixed, stranger, liar
    let other: TestKey; // trusted too, but bound only to the repository `other`
    const repoDir = (name: string) => path.join(work, 'repos', name);
    const cli = (...args: string[]) => cliIn(box.root, ...args);
    const workDir = () => path.join(box.root, 'var/cache/blueprint/system-update');
    const cached = () =>
      readdirSync(path.join(box.root, 'var/cache/blueprint/packages')).filter((f) => f.endsWith('.bpkg'));
    const unchanged = () => ({ slot: sha(box.slots.B), entries: box.entries() });

    /** `blueprint repo build` of these sources into repository `name`, signed by `key`. */
    const publish = (name: string, key: TestKey, sources: string[]) =>
      buildRepository({
        sources,
        repoDir: repoDir(name),
        name,
        signer: { keyFile: key.privateFile },
        expiresInDays: 30,
      });

    beforeAll(async () => {
      await box.start();
      process.env.DBUS_SYSTEM_BUS_ADDRESS = box.env.DBUS_SYSTEM_BUS_ADDRESS;
      publisher = await makeKey(path.join(work, 'publisher'), { name: 'Updates publisher' });
      other = await makeKey(path.join(work, 'other'), { name: 'Other publisher' });
      const v2 = box.bundle('2.0.0');
      await publish('updates', publisher, [v2]);
      // A package of `mixed`, signed again by `other`'s key: trusted on the box, not for `mixed`.
      await publish('mixed', publisher, [v2]);
      await signFile(path.join(repoDir('mixed'), 'pool/system-bundle/system-bundle_2.0.0_x86_64.bpkg'), {
        keyFile: other.privateFile,
      });
      // `other` itself offers a newer system, properly signed by its own key.
      await publish('other', other, [box.bundle('2.5.0')]);
      // A package the publisher signed around a bundle RAUC's keyring does not know.
      await publish('stranger', publisher, [box.bundle('2.0.2', box.stranger)]);
      // A package that says 2.0.1 around the 2.0.0 bundle.
      const liar = makeSource(path.join(work, 'src'), {
        name: 'system-bundle',
        version: '2.0.1',
        arch: 'x86_64',
        files: { 'bundle.raucb': readFileSync(v2) },
        manifestExtra: { files: { 'bundle.raucb': sha(v2) } },
      });
      await publish('liar', publisher, [liar]);
      const pm = new PackageManager({ root: box.root });
      await pm.keyring.add(publisher.publicKey, publisher.fingerprint);
      await pm.keyring.add(other.publicKey, other.fingerprint);
      for (const name of ['updates', 'mixed', 'stranger', 'liar'])
        await pm.repos.add(name, repoDir(name), { keys: [publisher.fingerprint] });
      await pm.repos.add('other', repoDir('other'), { keys: [other.fingerprint] });
      const outcomes = await pm.update();
      expect(outcomes.every((o) => o.ok)).toBe(true);
    }, 120_000);
    afterAll(async () => {
      process.env.DBUS_SYSTEM_BUS_ADDRESS = saved;
      await box.stop();
    });

    it('repo build wraps a .raucb into the package system-bundle: the bundle hashed in its manifest', async () => {
      const index = JSON.parse(readFileSync(path.join(repoDir('updates'), 'index.json'), 'utf8'));
      expect(index.packages).toEqual([
        expect.objectContaining({ name: 'system-bundle', version: '2.0.0', arch: 'x86_64' }),
      ]);
      expect(existsSync(path.join(repoDir('updates'), `.bundles-${process.pid}`))).toBe(false);
      const { stdout } = await import('node:child_process').then((cp) =>
        cp.spawnSync(
          'tar',
          ['-xOzf', path.join(repoDir('updates'), index.packages[0].path), 'manifest.json'],
          {
            encoding: 'utf8',
          },
        ),
      );
      expect(JSON.parse(stdout)).toMatchObject({
        name: 'system-bundle',
        files: { 'bundle.raucb': sha(path.join(box.dir, 'blueprintos-2.0.0.raucb')) },
      });
    });

    it('refuses a package signed by a key trusted only for another repository, writing nothing', async () => {
      const before = unchanged();
      const r = await cli('--json', 'system', 'update', '--from', 'mixed');
      expect(r.code).toBe(4);
      expect(JSON.parse(r.out)).toMatchObject({ error: { code: 'wrong-repository-key' } });
      expect(r.err).toContain(other.fingerprint.toUpperCase());
      expect(unchanged()).toEqual(before);
      expect(existsSync(workDir())).toBe(false);
      expect(cached()).toEqual([]);
    });

    it('refuses a bundle RAUC’s keyring does not know, though its package is properly signed', async () => {
      const before = unchanged();
      await expect(openBox(box.root).system.updateFrom('stranger')).rejects.toMatchObject({
        code: 'bundle-refused',
        exitCode: 4,
      });
      expect(unchanged()).toEqual(before);
      expect(existsSync(workDir())).toBe(false);
    });

    it('refuses a package whose version is not the bundle’s', async () => {
      const before = unchanged();
      await expect(openBox(box.root).system.updateFrom('liar')).rejects.toMatchObject({
        code: 'bundle-version-mismatch',
        message: expect.stringMatching(/bundle says version 2\.0\.0, its package says 2\.0\.1/),
      });
      expect(unchanged()).toEqual(before);
    });

    it('installs the newest system-bundle of the repository named, not another’s, and boots it on trial', async () => {
      const r = await cli('--json', 'system', 'update', '--from', 'updates');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({
        from: '1.0.0',
        bundle: { version: '2.0.0' },
        slot: { bootname: 'B', next: true },
        package: { repo: 'updates', version: '2.0.0', signer: publisher.fingerprint.toLowerCase() },
      });
      expect(box.entries()).toEqual(['blueprint-a.conf', 'blueprint-b+3.conf']);
      expect(existsSync(workDir())).toBe(false);
      expect(cached()).toEqual([]);
      expect(await box.reboot()).toBe('B');
      await openBox(box.root).system.markBooted('good');
      expect((await openBox(box.root).system.status()).version).toBe('2.0.0');
    });

    it('versions only go up: the same version is refused before anything is downloaded, unless forced', async () => {
      const before = unchanged();
      const r = await cli('system', 'update', '--from', 'updates');
      expect(r.code).toBe(5);
      expect(r.err).toMatch(/system 2\.0\.0 from repository updates is not newer than the running 2\.0\.0/);
      expect(r.err).toMatch(/Nothing was downloaded/);
      expect(unchanged()).toEqual(before);
      expect(cached()).toEqual([]);
      const forced = await cli('--json', 'system', 'update', '--from', 'updates', '--force');
      expect(forced.code).toBe(0);
      expect(JSON.parse(forced.out)).toMatchObject({ forced: true, slot: { bootname: 'A', next: true } });
      expect((await cli('system', 'rollback')).code).toBe(0);
    });

    it('a FILE and --from together, or a repository never fetched, are refused with what to do', async () => {
      const both = await cli('system', 'update', '--from', 'updates', path.join(box.dir, 'x.raucb'));
      expect(both.code).toBe(2);
      const none = await cli('system', 'update', '--from', 'nowhere');
      expect(none.code).toBe(3);
      expect(none.err).toMatch(/no usable repository named nowhere/);
    });
  },
);
