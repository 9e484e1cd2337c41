import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { hostileMirror, mirrorBox, scaledDownloads, within } from '../helpers/drip-server.js';
import { serveDir, signedRepo, type TestKey, tempDir } from '../helpers/pkg.js';

/**
 * Review of the download floor (download-pace.ts) against a mirror that never gets as far as
 * dripping: it takes the package's request and never completes the answer's headers, or sends
 * headers and then not one byte. The floor's clock starts before the request (its first minute
 * is the only grace), so either is given up once that minute is over and the next mirror serves.
 * Scaled down: the first minute is 1 s here.
 */

let key: TestKey;
let repo: string;
const held: ServerResponse[] = [];
const closers = scaledDownloads({ baseMs: 1000 }, () => {
  for (const r of held) r.destroy();
});

beforeAll(async () => {
  ({ key, repo } = await signedRepo([
    { name: 'big', version: '1.0.0', files: { 'share/blob': randomBytes(64 * 1024) } },
  ]));
});

/** Serves `repo`, but a package's request is held: no headers at all, or headers and no body. */
const stalling = (how: 'no-headers' | 'no-body') =>
  hostileMirror(
    repo,
    closers,
    (url) => url.endsWith('.bpkg'),
    (res, body) => {
      held.push(res);
      if (how === 'no-body') res.writeHead(200, { 'content-length': body.length }).flushHeaders();
    },
  );

const box = async (url: string, mirrors: string[]) => (await mirrorBox(key, url, mirrors)).pm;

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
