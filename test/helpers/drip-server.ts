/**
 * A hostile mirror for the download-deadline tests: an HTTP server on 127.0.0.1 that serves a
 * signed repository folder (buildRepo's), each file read whole; those that `held` picks are
 * answered by `answer` instead (dripped, paused, headers never finished), the rest sent at once.
 * Its closing is pushed on `closers`. Also the file's scaled-down deadlines, a box trusting the
 * repository, and `within`.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { downloadLimits } from '../../src/core/pkg/fetch.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import type { TestKey } from './pkg.js';
import { tempDir } from './pkg.js';

/**
 * For the calling file's tests: downloadLimits set to `limits` (scaled down) and restored after
 * them, then `after` run and the servers whose closing is pushed on the returned list closed.
 */
export function scaledDownloads(limits: Partial<typeof downloadLimits>, after?: () => void) {
  const closers: (() => void)[] = [];
  const saved = { ...downloadLimits };
  beforeAll(() => void Object.assign(downloadLimits, limits));
  afterAll(() => {
    Object.assign(downloadLimits, saved);
    after?.();
    for (const c of closers) c();
  });
  return closers;
}

/** Serves `repo`; the files whose URL `held` picks are answered by `answer`. Returns its URL. */
export async function hostileMirror(
  repo: string,
  closers: (() => void)[],
  held: (url: string) => boolean,
  answer: (res: ServerResponse<IncomingMessage>, body: Buffer) => void,
): Promise<string> {
  const server = createServer((req, res) => {
    let body: Buffer;
    try {
      body = readFileSync(path.join(repo, decodeURIComponent(req.url ?? '/').replace(/^\/+/, '')));
    } catch {
      return void res.writeHead(404).end();
    }
    if (!held(req.url ?? '')) return void res.writeHead(200, { 'content-length': body.length }).end(body);
    answer(res, body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => server.closeAllConnections());
  closers.push(() => server.close());
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** Sends `body` (headers first) `size` bytes every `everyMs`, until the client goes. */
export function drip(res: ServerResponse, body: Buffer, size: number, everyMs: number) {
  res.writeHead(200, { 'content-length': body.length });
  let i = 0;
  const timer = setInterval(() => {
    if (i >= body.length || res.destroyed) return void clearInterval(timer);
    res.write(body.subarray(i, i + size));
    i += size;
  }, everyMs);
  res.on('close', () => clearInterval(timer));
}

/** What `p` settled as, or 'still waiting' after `ms`. */
export const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([
    p.then(
      (v) => ({ ok: v }),
      (e: unknown) => ({ error: e }),
    ),
    new Promise((r) => setTimeout(() => r('still waiting'), ms)),
  ]);

/**
 * A box (a fresh root, or `root`) trusting `key` for repository `main` at `url` with `mirrors`,
 * updated: the update is expected to succeed, matching `updated` too.
 */
export async function mirrorBox(
  key: TestKey,
  url: string,
  mirrors: string[],
  opts: { root?: string; updated?: Record<string, unknown> } = {},
) {
  const root = opts.root ?? tempDir('bp-root-');
  const pm = new PackageManager({ root });
  await pm.keyring.add(key.publicKey, key.fingerprint);
  await pm.repos.add('main', url, { keys: [key.fingerprint], mirrors });
  expect((await pm.update())[0]).toMatchObject({ ok: true, ...opts.updated });
  return { pm, root };
}
