import fs, { readdirSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import type S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishRepository } from '../../src/core/pkg/publish-remote.js';
import { configureTransports } from '../../src/core/pkg/transport.js';
import { buildRepo, makeKey, makeSource, tempDir } from '../helpers/pkg.js';
import { publisherEnv, startS3rver } from '../helpers/s3-server.js';
import { until } from '../helpers/until.js';

/**
 * Review of the upload's descriptor handling (transports/http.ts, publish-remote.ts): each of the
 * publisher's files is opened once, hashed and sent from that descriptor (the index's .asc twice:
 * by hash and by name), and closed once by the publish. A second close of a number another file
 * took meanwhile would close that file; a descriptor left open leaks one per file per publish.
 * Every close is watched (node:fs's close, which the ESM bindings see once synced): none may
 * answer EBADF, and the process has the descriptors it had before, on success and on failure.
 */

let server: S3rver;
let endpoint = '';
let repoDir = '';
const badClose: number[] = [];
const realClose = fs.close;

const fds = () => readdirSync('/proc/self/fd').length;

beforeAll(async () => {
  const base = tempDir();
  const key = await makeKey(path.join(base, 'key'));
  repoDir = path.join(base, 'repo');
  await buildRepo(repoDir, key, [
    makeSource(path.join(base, 'a'), { name: 'a', version: '1.0.0' }),
    makeSource(path.join(base, 'b'), { name: 'b', version: '1.0.0' }),
  ]);
  ({ server, endpoint } = await startS3rver());
  configureTransports({ env: publisherEnv(endpoint) });
  (fs as { close: unknown }).close = (fd: number, cb?: (err: NodeJS.ErrnoException | null) => void) =>
    realClose(fd, (err) => {
      if (err?.code === 'EBADF') badClose.push(fd);
      cb?.(err);
    });
  syncBuiltinESMExports();
}, 60_000);
afterAll(async () => {
  (fs as { close: unknown }).close = realClose;
  syncBuiltinESMExports();
  configureTransports({ env: {} });
  await server?.close();
});

const settle = () => new Promise((r) => setTimeout(r, 300));
/** Until no more descriptors are open than `before` (at most 10 s; before: a 300 ms sleep). */
const closed = (before: number) =>
  until('descriptors closed', () => fds() <= before, 10_000).catch(() => undefined);

describe("a publish's descriptors", () => {
  it('a publish to a bucket closes each file once and leaves none open', async () => {
    await publishRepository(repoDir, 's3://blueprint-repo/one');
    await settle();
    const before = fds();
    for (let i = 0; i < 3; i++) await publishRepository(repoDir, `s3://blueprint-repo/again-${i}`);
    await closed(before);
    expect(badClose).toEqual([]);
    expect(fds()).toBeLessThanOrEqual(before);
  }, 60_000);

  it('a publish that fails (no such bucket) closes each file once and leaves none open', async () => {
    await settle();
    const before = fds();
    for (let i = 0; i < 3; i++)
      await expect(publishRepository(repoDir, 's3://no-such-bucket/x')).rejects.toBeTruthy();
    await closed(before);
    expect(badClose).toEqual([]);
    expect(fds()).toBeLessThanOrEqual(before);
  }, 60_000);
});
