/**
 * A repository with several URLs: a mirror that is down, stalling, stale or serving garbage is
 * skipped (and reported), and never blocks an update or a download another mirror can give.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadLimits } from '../../src/core/pkg/fetch.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { buildRepo, makeKey, makeSource, serveDir, type TestKey, tempDir } from '../helpers/pkg.js';
import { freePort } from '../helpers/registry.js';

let key: TestKey;
const closers: (() => void)[] = [];
afterAll(() => {
  for (const c of closers) c();
});
beforeAll(async () => {
  key = await makeKey(path.join(tempDir(), 'key'));
});

/** A repository folder with `good` at each version (one index version per build). */
async function repoWith(versions: string[], extra: { expiresInDays?: number; now?: Date } = {}) {
  const base = tempDir();
  const repo = path.join(base, 'repo');
  for (const v of versions)
    await buildRepo(
      repo,
      key,
      [makeSource(path.join(base, 'src'), { name: 'good', version: v, files: { 'v.txt': v } })],
      extra,
    );
  return repo;
}

async function served(dir: string) {
  const s = await serveDir(dir);
  closers.push(s.close);
  return s.url;
}

/** Accepts connections and never answers. */
async function stalling() {
  const sockets: import('node:net').Socket[] = [];
  const server = createServer(() => {});
  server.on('connection', (s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function box(url: string, mirrors: string[]) {
  const pm = new PackageManager({ root: tempDir('bp-root-') });
  await pm.keyring.add(key.publicKey, key.fingerprint);
  await pm.repos.add('main', url, { keys: [key.fingerprint], mirrors });
  return pm;
}

describe('mirrors', () => {
  it('a down mirror and a garbage mirror are skipped with the reason; the good one is used', async () => {
    const good = await repoWith(['1.0.0']);
    const garbage = tempDir();
    writeFileSync(path.join(garbage, 'index.json'), '{"not": "an index"');
    writeFileSync(path.join(garbage, 'index.json.asc'), 'garbage');
    const down = `http://127.0.0.1:${await freePort()}`;
    const pm = await box(down, [await served(garbage), good]);
    const [o] = await pm.update();
    expect(o).toMatchObject({ ok: true, version: 1, url: expect.stringContaining(good) });
    expect(o?.skipped?.map((s) => s.code)).toEqual(['network', 'bad-signature']);
    await pm.install(['good']);
    expect((await pm.installed())[0]?.version).toBe('1.0.0');
  });

  it('a stale mirror listed first does not hold back the newer index another mirror serves', async () => {
    const old = await repoWith(['1.0.0']);
    const fresh = path.join(tempDir(), 'fresh');
    cpSync(old, fresh, { recursive: true });
    await buildRepo(fresh, key, [makeSource(tempDir(), { name: 'good', version: '2.0.0' })]);
    const pm = await box(old, [fresh]);
    const [o] = await pm.update();
    expect(o).toMatchObject({ ok: true, version: 2, url: expect.stringContaining('fresh') });
    await pm.install(['good']);
    expect((await pm.installed())[0]?.version).toBe('2.0.0');
    // Once v2 is accepted, the stale mirror's v1 is a rollback: skipped, v2 kept.
    const [again] = await pm.update();
    expect(again).toMatchObject({ ok: true, version: 2, changed: false });
    expect(again?.skipped?.map((s) => s.code)).toEqual(['index-rollback']);
  });

  it('an expired (frozen) mirror is skipped', async () => {
    const frozen = await repoWith(['1.0.0'], {
      now: new Date(Date.now() - 40 * 86400_000),
      expiresInDays: 30,
    });
    const good = await repoWith(['1.0.0']);
    const [o] = await (await box(frozen, [good])).update();
    expect(o).toMatchObject({ ok: true, url: expect.stringContaining(good) });
    expect(o?.skipped?.map((s) => s.code)).toEqual(['index-expired']);
  });

  it('a stalling mirror is given up after its deadline, and the next one serves', async () => {
    const good = await repoWith(['1.0.0']);
    const pm = await box(await stalling(), [good]);
    pm.repos.mirrorDeadlineMs = 1500;
    const t0 = Date.now();
    const [o] = await pm.update();
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(o).toMatchObject({ ok: true, version: 1 });
    expect(o?.skipped?.map((s) => s.code)).toEqual(['mirror-timeout']);
  });

  it('a package whose bytes a mirror altered is fetched from the next mirror', async () => {
    const good = await repoWith(['1.0.0']);
    const evil = path.join(tempDir(), 'evil');
    cpSync(good, evil, { recursive: true });
    const pkg = path.join(evil, 'pool/good/good_1.0.0_all.bpkg');
    const bytes = readFileSync(pkg);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 10) ^ 0xff, bytes.length - 10);
    writeFileSync(pkg, bytes);
    const pm = await box(evil, [good]);
    expect((await pm.update())[0]).toMatchObject({ ok: true, url: expect.stringContaining('evil') });
    await pm.install(['good']);
    expect((await pm.installed())[0]?.version).toBe('1.0.0');
  });

  it('a mirror that serves its index but drips a package is given up, and the next one serves it', async () => {
    const good = await repoWith(['1.0.0']);
    // The index and signatures at once, the package one byte at a time (a freezing mirror).
    const server = createServer((req, res) => {
      const file = path.join(good, decodeURIComponent(req.url ?? '/').replace(/^\/+/, ''));
      let body: Buffer;
      try {
        body = readFileSync(file);
      } catch {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-length': body.length });
      if (!file.endsWith('.bpkg')) return void res.end(body);
      let i = 0;
      const drip = setInterval(() => {
        if (i >= body.length || res.destroyed) return void clearInterval(drip);
        res.write(body.subarray(i, ++i));
      }, 100);
      res.on('close', () => clearInterval(drip));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => server.close());
    const slow = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const pm = await box(slow, [good]);
    expect((await pm.update())[0]).toMatchObject({ ok: true, url: slow });
    const saved = { ...downloadLimits };
    Object.assign(downloadLimits, { baseMs: 1500, minBytesPerSecond: 1e9 });
    try {
      const t0 = Date.now();
      await pm.install(['good']);
      expect(Date.now() - t0).toBeLessThan(15_000);
    } finally {
      Object.assign(downloadLimits, saved);
    }
    expect((await pm.installed())[0]?.version).toBe('1.0.0');
  }, 60_000);

  it('when every mirror fails the update fails and the previous index stays', async () => {
    const good = await repoWith(['1.0.0']);
    const pm = await box(good, [`http://127.0.0.1:${await freePort()}`]);
    expect((await pm.update())[0]).toMatchObject({ ok: true });
    const { rmSync } = await import('node:fs');
    rmSync(path.join(good, 'index.json.asc'));
    const [o] = await pm.update();
    expect(o).toMatchObject({ ok: false, error: { code: 'no-signature' } });
    expect((await pm.search('good'))[0]?.version).toBe('1.0.0');
  });
});
