import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadLimits } from '../../src/core/pkg/fetch.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { buildRepo, makeKey, makeSource, serveDir, type TestKey, tempDir } from '../helpers/pkg.js';

/**
 * Review of the download floor (download-pace.ts) against a mirror that never gets as far as
 * dripping: it takes the package's request and never completes the answer's headers, or sends
 * headers and then not one byte. The floor's clock starts before the request (its first minute
 * is the only grace), so either is given up once that minute is over and the next mirror serves.
 * Scaled down: the first minute is 1 s here.
 */

let key: TestKey;
let repo: string;
const closers: (() => void)[] = [];
const saved = { ...downloadLimits };
const held: ServerResponse[] = [];

beforeAll(async () => {
  const base = tempDir();
  key = await makeKey(path.join(base, 'key'));
  repo = path.join(base, 'repo');
  await buildRepo(repo, key, [
    makeSource(path.join(base, 'src'), {
      name: 'big',
      version: '1.0.0',
      files: { 'share/blob': randomBytes(64 * 1024) },
    }),
  ]);
  Object.assign(downloadLimits, { baseMs: 1000 });
});
afterAll(() => {
  Object.assign(downloadLimits, saved);
  for (const r of held) r.destroy();
  for (const c of closers) c();
});

/** Serves `repo`, but a package's request is held: no headers at all, or headers and no body. */
async function stalling(how: 'no-headers' | 'no-body'): Promise<string> {
  const server = createServer((req, res) => {
    let body: Buffer;
    try {
      body = readFileSync(path.join(repo, decodeURIComponent(req.url ?? '/').replace(/^\/+/, '')));
    } catch {
      return void res.writeHead(404).end();
    }
    if (!req.url?.endsWith('.bpkg'))
      return void res.writeHead(200, { 'content-length': body.length }).end(body);
    held.push(res);
    if (how === 'no-body') res.writeHead(200, { 'content-length': body.length }).flushHeaders();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => server.closeAllConnections());
  closers.push(() => server.close());
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([
    p.then(
      (v) => ({ ok: v }),
      (e: unknown) => ({ error: e }),
    ),
    new Promise((r) => setTimeout(() => r('still waiting'), ms)),
  ]);

async function box(url: string, mirrors: string[]) {
  const pm = new PackageManager({ root: tempDir('bp-root-') });
  await pm.keyring.add(key.publicKey, key.fingerprint);
  await pm.repos.add('main', url, { keys: [key.fingerprint], mirrors });
  expect((await pm.update())[0]).toMatchObject({ ok: true });
  return pm;
}

describe('a mirror that holds a package request open without sending it', () => {
  for (const how of ['no-headers', 'no-body'] as const) {
    it(`${how}: given up after the first minute, naming the file`, async () => {
      const pm = await box(await stalling(how), []);
      const t0 = Date.now();
      const got = await within(pm.install(['big']), 6000);
      expect(got).toMatchObject({ error: { code: 'mirror-timeout' } });
      expect(Date.now() - t0).toBeLessThan(4000);
      expect((got as { error: Error }).error.message).toContain('big_1.0.0_all.bpkg');
      expect(await pm.installed()).toEqual([]);
    }, 20_000);

    it(`${how}: the next mirror then serves the install, and bpkg bundle is held the same`, async () => {
      const good = await serveDir(repo);
      closers.push(good.close);
      const pm = await box(await stalling(how), [good.url]);
      const got = await within(pm.install(['big']), 6000);
      expect(got).not.toHaveProperty('error');
      expect((await pm.installed()).map((p) => p.version)).toEqual(['1.0.0']);
      const alone = await box(await stalling(how), []);
      const bundled = await within(alone.bundle(['big'], tempDir('bp-usb-')), 6000);
      expect(bundled).toMatchObject({ error: { code: 'mirror-timeout' } });
    }, 30_000);
  }
});
