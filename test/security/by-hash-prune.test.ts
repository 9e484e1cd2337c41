/**
 * `repo build` (a folder) and `repo publish` (a bucket) store each signed file's signature by its
 * hash (by-hash/SHA256/HEX.asc), one more every build or publish, and nothing removed them: a
 * repository built every hour held thousands after a year, each copied by every rsync. Now the
 * build and the publish keep the signatures of the last byHashKeep.versions (10) index versions and
 * every one younger than byHashKeep.ms (a day: a CDN or proxy that caches index.json, a slow rsync)
 * and remove the older, never the current index's or the key rotation notice's. Here the window is
 * 3 versions and no time. Before the fix the folder and the bucket held all six.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import type S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceKeyRotation, buildRepository } from '../../src/core/pkg/build.js';
import { byHashKeep } from '../../src/core/pkg/by-hash-prune.js';
import { publishRepository } from '../../src/core/pkg/publish-remote.js';
import { configureTransports, transportFor } from '../../src/core/pkg/transport.js';
import { makeKey, makeSource, type TestKey, tempDir } from '../helpers/pkg.js';
import { forwardTo, publisherEnv, startS3rver } from '../helpers/s3-server.js';

const saved = { ...byHashKeep };
let key: TestKey;
let server: S3rver;
let endpoint = '';
beforeAll(async () => {
  key = await makeKey(path.join(tempDir(), 'key'));
  ({ server, endpoint } = await startS3rver());
  Object.assign(byHashKeep, { versions: 3, ms: 0 });
}, 60_000);
afterAll(async () => {
  Object.assign(byHashKeep, saved);
  configureTransports({ env: {} });
  await server?.close();
});

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A repository with a rotation notice, then `builds` index versions; `each` after every build. */
async function repository(builds: number, each: (repo: string, hashes: string[]) => Promise<void>) {
  const base = tempDir('bp-by-hash-prune-');
  const repo = path.join(base, 'repo');
  const build = (v: number) =>
    buildRepository({
      sources: [makeSource(path.join(base, `s${v}`), { name: 'good', version: `${v}.0.0` })],
      repoDir: repo,
      name: 'test',
      signer: { keyFile: key.privateFile },
    });
  await build(1);
  await announceKeyRotation(repo, key.publicKey, key.fingerprint, { keyFile: key.privateFile });
  const hashes = [sha(path.join(repo, 'index.json'))];
  await each(repo, hashes);
  for (let v = 2; v <= builds; v++) {
    await build(v);
    hashes.push(sha(path.join(repo, 'index.json')));
    await each(repo, hashes);
  }
  return { repo, hashes, rotation: sha(path.join(repo, 'keys/rotation.json')) };
}

const names = (hexes: string[]) => hexes.map((h) => `${h}.asc`).sort();

describe('signatures by hash are kept for the last few index versions, and no longer', () => {
  it('repo build: the last 3 index versions and the rotation notice (older than them) are kept', async () => {
    const { repo, hashes, rotation } = await repository(6, async (repo) => {
      // Each build's signature 10 s older than the next's, whatever the clock's resolution.
      const dir = path.join(repo, 'by-hash/SHA256');
      for (const f of readdirSync(dir)) {
        const t = (statSync(path.join(dir, f)).mtimeMs - 10_000) / 1000;
        utimesSync(path.join(dir, f), t, t);
      }
    });
    expect(readdirSync(path.join(repo, 'by-hash/SHA256')).sort()).toEqual(
      names([rotation, ...hashes.slice(-3)]),
    );
  }, 120_000);

  it('repo publish to a bucket: the same, the older objects deleted from the bucket', async () => {
    configureTransports({ env: publisherEnv(endpoint) });
    const to = 's3://blueprint-repo/stable';
    const { hashes, rotation } = await repository(6, async (repo) => {
      await publishRepository(repo, to);
      await new Promise((r) => setTimeout(r, 1100)); // S3's LastModified: a second apart
    });
    const stored = [];
    for (const h of [rotation, ...hashes]) {
      const there = await (await transportFor(to)).open(to, `by-hash/SHA256/${h}.asc`).then(
        (o) => {
          o.body.resume();
          return true;
        },
        () => false,
      );
      if (there) stored.push(h);
    }
    expect(names(stored)).toEqual(names([rotation, ...hashes.slice(-3)]));
  }, 120_000);

  it('a bucket that refuses the listing: the error says the repository is published', async () => {
    // s3rver behind a proxy that answers the listing 403 and passes everything else on.
    const proxy = createServer((req, res) => {
      if (req.method === 'GET' && req.url?.includes('list-type=2'))
        return void res.writeHead(403).end('<Error><Code>AccessDenied</Code></Error>');
      forwardTo(endpoint, req, res);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as { port: number }).port;
    configureTransports({ env: publisherEnv(`http://127.0.0.1:${port}`) });
    try {
      const { repo } = await repository(1, async () => {});
      const err = await publishRepository(repo, 's3://blueprint-repo/refused').catch((e) => e);
      expect(err).toMatchObject({ code: 'access-denied' });
      expect(err.message).toMatch(
        /is published \(every file is stored.*old signatures by hash were not removed/,
      );
      expect(err.hint).toMatch(/s3:ListBucket, s3:DeleteObject/);
    } finally {
      proxy.closeAllConnections();
      proxy.close();
    }
  }, 60_000);
});
