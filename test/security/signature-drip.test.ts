import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadLimits } from '../../src/core/pkg/fetch.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { buildRepo, makeKey, makeSource, serveDir, type TestKey, tempDir } from '../helpers/pkg.js';

/**
 * A package download is held to a deadline (fetch.ts, downloadLimits), so a mirror that drips
 * bytes is given up and the next one tried. Its detached signature (`.bpkg.asc`, up to 64 KiB) was
 * fetched with no deadline: a mirror that sent it one byte every few seconds (never silent long
 * enough for the 30 s socket timeout) held `bpkg install` and the package lock for days, and the
 * next mirror was never tried; `offeredSigners` (what the fronts show before the yes) likewise.
 */

let key: TestKey;
let repo: string;
const closers: (() => void)[] = [];
const saved = { ...downloadLimits };

beforeAll(async () => {
  const base = tempDir();
  key = await makeKey(path.join(base, 'key'));
  repo = path.join(base, 'repo');
  await buildRepo(repo, key, [makeSource(path.join(base, 'src'), { name: 'good', version: '1.0.0' })]);
  Object.assign(downloadLimits, { baseMs: 1500, minBytesPerSecond: 1e9 });
});
afterAll(() => {
  Object.assign(downloadLimits, saved);
  for (const c of closers) c();
});

/** Serves `repo`, the packages' signatures one byte every 400 ms, the rest at once. */
async function dripping(): Promise<string> {
  const server = createServer((req, res) => {
    let body: Buffer;
    try {
      body = readFileSync(path.join(repo, decodeURIComponent(req.url ?? '/').replace(/^\/+/, '')));
    } catch {
      return void res.writeHead(404).end();
    }
    res.writeHead(200, { 'content-length': body.length });
    if (!req.url?.endsWith('.bpkg.asc')) return void res.end(body);
    let i = 0;
    const drip = setInterval(() => {
      if (i >= body.length || res.destroyed) return void clearInterval(drip);
      res.write(body.subarray(i, ++i));
    }, 400);
    res.on('close', () => clearInterval(drip));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => server.closeAllConnections());
  closers.push(() => server.close());
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** What `p` settled as, or 'still waiting' after `ms`. */
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
  expect((await pm.update())[0]).toMatchObject({ ok: true, ...(mirrors.length ? { url } : {}) });
  return pm;
}

describe('a mirror that drips a package signature', () => {
  it('is given up at the deadline, and the next mirror serves the install', async () => {
    const good = await serveDir(repo);
    closers.push(good.close);
    const pm = await box(await dripping(), [good.url]);
    const got = await within(pm.install(['good']), 12_000);
    expect(got).not.toBe('still waiting');
    expect(got).not.toHaveProperty('error');
    expect((await pm.installed()).map((p) => p.version)).toEqual(['1.0.0']);
  }, 30_000);

  it('does not hold the signer question (offeredSigners) past the deadline', async () => {
    const pm = await box(await dripping(), []);
    const got = await within(pm.offeredSigners('good'), 12_000);
    expect(got).toMatchObject({ error: { code: 'mirror-timeout' } });
  }, 30_000);
});
