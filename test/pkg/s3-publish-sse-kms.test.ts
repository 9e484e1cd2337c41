/**
 * KEYS2 (left by QA20): a bucket encrypted with SSE-KMS answers ETags that are no MD5 of the
 * object's bytes, so the publish's check (the ETag S3 computed equals the file's MD5) never held
 * there and every publish sent every package of every version again. Now the publisher keeps a
 * record of the ETag each PUT was answered with (publish-record.ts): an object whose ETag is still
 * that one, with the same size, holds the bytes that PUT stored, and is not sent again. An object
 * stored again since (other bytes, even under the old x-amz-meta-sha256) has another ETag and is
 * sent again; no record, everything is sent as before. s3rver behind a proxy that answers ETags as
 * SSE-KMS does (opaque, not the MD5); a box still installs from the repository.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishRepository } from '../../src/core/pkg/publish-remote.js';
import { configureTransports } from '../../src/core/pkg/transport.js';
import { makeKey, type TestKey, tempDir } from '../helpers/pkg.js';
import {
  boxInstallsGood,
  buildBlobRepo,
  countPuts,
  forwardTo,
  publisherEnv,
  startS3rver,
  storeOtherBytes,
} from '../helpers/s3-server.js';

let server: S3rver;
let endpoint: string;
let proxy: Server;
let kmsEndpoint: string;
let key: TestKey;
let puts: string[] = [];

/** An ETag as SSE-KMS gives one: not the MD5 of the bytes (derived from s3rver's, so it changes with them). */
const kmsEtag = (etag: string) =>
  `"${createHash('sha256').update(`sse-kms:${etag}`).digest('hex').slice(0, 32)}"`;

const forwardKms = (req: IncomingMessage, res: ServerResponse) => forwardTo(endpoint, req, res, kmsEtag);

describe('repo publish to an S3 bucket whose ETags are not MD5s (SSE-KMS)', () => {
  beforeAll(async () => {
    key = await makeKey(path.join(tempDir(), 'key'));
    ({ server, endpoint } = await startS3rver());
    puts = countPuts(server);
    proxy = createServer(forwardKms);
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    kmsEndpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  }, 60_000);
  afterAll(async () => {
    proxy?.close();
    await server?.close();
  });

  it('sends again only what the bucket does not hold as an earlier publish stored it', async () => {
    const base = tempDir('bp-pubkms-');
    const repo = path.join(base, 'repo');
    const records = path.join(base, 'state');
    const to = 's3://blueprint-repo/kms/modules';
    const rel = 'pool/good/good_1.0.0_all.bpkg';
    const build = (version: string) =>
      buildBlobRepo(repo, key, base, { name: 'good', version, size: 1 << 20 });
    const sent = () => puts.map((k) => k.replace('kms/modules/', ''));
    const publish = async (dir = records) => {
      puts.length = 0;
      const kept: string[] = [];
      await publishRepository(
        repo,
        to,
        (r, wasKept) => {
          if (wasKept) kept.push(r);
        },
        () => {},
        dir,
      );
      return kept;
    };
    configureTransports({ env: publisherEnv(kmsEndpoint) });
    await build('1.0.0');
    expect(await publish()).toEqual([]);
    expect(sent()).toContain(rel);

    // The next version: the first version's package and signature are not sent again.
    await build('1.1.0');
    expect(await publish()).toEqual([rel, `${rel}.asc`]);
    expect(sent()).not.toContain(rel);
    expect(sent()).not.toContain(`${rel}.asc`);
    expect(sent()).toContain('pool/good/good_1.1.0_all.bpkg');
    expect(sent()).toContain('index.json');

    // Other bytes of the same size stored at its name, under the old SHA-256 as metadata: the
    // object's ETag is not the recorded one any more, so the package is sent again.
    await storeOtherBytes(repo, to, rel, base);
    expect(await publish()).not.toContain(rel);
    expect(sent()).toContain(rel);

    // No record on this machine: everything is sent, as before.
    expect(await publish(path.join(base, 'elsewhere'))).toEqual([]);
    expect(sent()).toContain(`${rel}.asc`);

    const box = await boxInstallsGood(endpoint, to, key);
    expect(box.updated).toMatchObject({ ok: true, packages: 2 });
    expect(box.installed).toBe('1.0.0');
  });
});
