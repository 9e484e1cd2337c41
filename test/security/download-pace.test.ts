import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { drip, hostileMirror, mirrorBox, scaledDownloads, within } from '../helpers/drip-server.js';
import { serveDir, signedRepo, type TestKey, tempDir } from '../helpers/pkg.js';

/**
 * A package download from one mirror was given a minute plus its size at 16 KiB/s: a mirror that
 * dripped it just above that (17 KiB/s) held a 2 GiB package, the package lock and the next
 * mirror's turn for ~36 hours. Now, after the first minute, what has arrived must keep up with a
 * floor of 128 KiB/s (config.json's `downloads.minKiBPerSecond`), so a dripping mirror is given up
 * as soon as it falls behind. Scaled down: the first minute is 1 s here, the package ~160 KiB,
 * dripped at 20 KiB/s (8 s whole: inside the old deadline of 1 s + 160 KiB at 16 KiB/s = 11 s).
 */

let key: TestKey;
let repo: string;
let name = '';
const closers = scaledDownloads({ baseMs: 1000 });

beforeAll(async () => {
  ({ key, repo } = await signedRepo([
    { name: 'big', version: '1.0.0', files: { 'share/blob': randomBytes(160 * 1024) } },
  ]));
  name = 'big_1.0.0_all.bpkg';
});

/**
 * Serves `repo`, its packages at 20 KiB/s (2 KiB every 100 ms), everything else at once; `burst`:
 * instead, a package's first 120 KiB at once, nothing for 1.3 s, then the rest.
 */
const dripping = (burst = false) =>
  hostileMirror(
    repo,
    closers,
    (url) => url.endsWith('.bpkg'),
    (res, body) => {
      if (!burst) return drip(res, body, 2048, 100);
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, 120 * 1024));
      const later = setTimeout(() => res.end(body.subarray(120 * 1024)), 1300);
      res.on('close', () => clearTimeout(later));
    },
  );

async function box(url: string, mirrors: string[], config?: unknown) {
  const root = tempDir('bp-root-');
  if (config !== undefined) {
    mkdirSync(path.join(root, 'etc/blueprint'), { recursive: true });
    writeFileSync(path.join(root, 'etc/blueprint/config.json'), JSON.stringify(config));
  }
  return mirrorBox(key, url, mirrors, { root });
}

describe('a mirror that drips a package just above the old 16 KiB/s floor', () => {
  it('is given up within seconds, the error naming the file, its rate and the setting', async () => {
    const { pm, root } = await box(await dripping(), []);
    const t0 = Date.now();
    const got = await within(pm.install(['big']), 5000);
    expect(got).not.toBe('still waiting');
    expect(got).toMatchObject({ error: { code: 'mirror-timeout' } });
    expect(Date.now() - t0).toBeLessThan(4000);
    const e = (got as { error: { message: string; hint: string } }).error;
    expect(e.message).toContain(name);
    expect(e.message).toMatch(/at (1[5-9]|2[0-5])(\.\d)? KiB\/s/);
    expect(e.message).toContain('128 KiB/s');
    expect(e.hint).toContain('--mirror');
    expect(e.hint).toContain(path.join(root, 'etc/blueprint/config.json'));
    expect(e.hint).toContain('minKiBPerSecond');
    expect(await pm.installed()).toEqual([]);
  }, 20_000);

  it('the next mirror then serves the install', async () => {
    const good = await serveDir(repo);
    closers.push(good.close);
    const { pm } = await box(await dripping(), [good.url]);
    const got = await within(pm.install(['big']), 5000);
    expect(got).not.toBe('still waiting');
    expect(got).not.toHaveProperty('error');
    expect((await pm.installed()).map((p) => p.version)).toEqual(['1.0.0']);
  }, 20_000);

  it('bpkg bundle (the copy into the cache) is held to the same floor', async () => {
    const { pm } = await box(await dripping(), []);
    const got = await within(pm.bundle(['big'], tempDir('bp-usb-')), 5000);
    expect(got).toMatchObject({ error: { code: 'mirror-timeout' } });
    expect((got as { error: Error }).error.message).toContain(name);
  }, 20_000);

  it('an honest mirror that pauses keeps what it sent ahead of the floor', async () => {
    const { pm } = await box(await dripping(true), []);
    const got = await within(pm.install(['big']), 10_000);
    expect(got).not.toHaveProperty('error');
    expect((await pm.installed()).map((p) => p.version)).toEqual(['1.0.0']);
  }, 20_000);

  it("a box on a slow link lowers the floor in config.json, and the same mirror's package is installed", async () => {
    const { pm } = await box(await dripping(), [], { downloads: { minKiBPerSecond: 8 } });
    const got = await within(pm.install(['big']), 15_000);
    expect(got).not.toHaveProperty('error');
    expect((await pm.installed()).map((p) => p.version)).toEqual(['1.0.0']);
  }, 30_000);

  it('a floor that is not a number of KiB/s is refused, naming the file', async () => {
    const good = await serveDir(repo);
    closers.push(good.close);
    for (const bad of [0, -5, '32', 1e12]) {
      const { pm, root } = await box(good.url, [], { downloads: { minKiBPerSecond: bad } });
      const got = await within(pm.install(['big']), 5000);
      expect(got, String(bad)).toMatchObject({ error: { code: 'usage' } });
      expect((got as { error: Error }).error.message).toContain(path.join(root, 'etc/blueprint/config.json'));
    }
  }, 30_000);
});
