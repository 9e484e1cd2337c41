import { beforeAll, describe, expect, it } from 'vitest';
import { drip, hostileMirror, mirrorBox, scaledDownloads, within } from '../helpers/drip-server.js';
import { serveDir, signedRepo, type TestKey } from '../helpers/pkg.js';

/**
 * A package download is held to a deadline (fetch.ts, downloadLimits), so a mirror that drips
 * bytes is given up and the next one tried. Its detached signature (`.bpkg.asc`, up to 64 KiB) was
 * fetched with no deadline: a mirror that sent it one byte every few seconds (never silent long
 * enough for the 30 s socket timeout) held `bpkg install` and the package lock for days, and the
 * next mirror was never tried; `offeredSigners` (what the fronts show before the yes) likewise.
 */

let key: TestKey;
let repo: string;
const closers = scaledDownloads({ baseMs: 1500, minBytesPerSecond: 1e9 });

beforeAll(async () => {
  ({ key, repo } = await signedRepo([{ name: 'good', version: '1.0.0' }]));
});

/** Serves `repo`, the packages' signatures one byte every 400 ms, the rest at once. */
const dripping = () =>
  hostileMirror(
    repo,
    closers,
    (url) => url.endsWith('.bpkg.asc'),
    (res, body) => drip(res, body, 1, 400),
  );

const box = async (url: string, mirrors: string[]) =>
  (await mirrorBox(key, url, mirrors, { updated: mirrors.length ? { url } : {} })).pm;

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
