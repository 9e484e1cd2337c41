import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import type S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceKeyRotation } from '../../src/core/pkg/build.js';
import { publishLimits, publishRepository } from '../../src/core/pkg/publish-remote.js';
import { configureTransports } from '../../src/core/pkg/transport.js';
import { buildRepo, makeKey, makeSource, type TestKey, tempDir } from '../helpers/pkg.js';
import { awsRoot, forwardTo, publisherEnv, startS3rver, trustingBox } from '../helpers/s3-server.js';

/**
 * A bucket has no way to replace two objects at once: `repo publish` stored index.json, then
 * index.json.asc. When the second upload failed or ran past its deadline (or a reader came between
 * the two), readers got the new index with the old signature, refused it (`bad-signature`), and
 * the repository was unusable until the publisher noticed and published again. Now the index's
 * signature is stored first under a name from the index's SHA-256 (by-hash/SHA256/HEX.asc), which
 * a reader falls back to when index.json.asc does not verify: a new index is never without its
 * signature, and a failed publish says what readers see.
 *
 * Against s3rver (an S3 implementation we did not write) behind a proxy that fails or stalls the
 * uploads a test picks; readers read s3rver directly.
 */

let key: TestKey;
let server: S3rver;
let endpoint = '';
let repoDir = '';
let srcBase = '';
const closers: (() => void)[] = [];
const saved = { ...publishLimits };

/** How the proxy answers an upload: passed on, refused (HTTP 500), or never answered. */
type Fate = 'pass' | 'fail' | 'stall';
let fateOf: (method: string, url: string) => Fate = () => 'pass';
const seen: string[] = [];

async function proxy(): Promise<string> {
  const s = createServer((req: IncomingMessage, res: ServerResponse) => {
    const fate = fateOf(req.method ?? '', req.url ?? '');
    seen.push(`${req.method} ${req.url} ${fate}`);
    if (fate === 'fail') {
      req.resume();
      return void req.on('end', () => res.writeHead(500).end('<Error><Code>InternalError</Code></Error>'));
    }
    if (fate === 'stall') return void req.resume();
    forwardTo(endpoint, req, res);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closers.push(() => s.closeAllConnections());
  closers.push(() => s.close());
  return `http://127.0.0.1:${(s.address() as { port: number }).port}`;
}

/** A box whose /etc/blueprint/aws points at s3rver itself (readers do not go through the proxy). */
const reader = (url: string) => trustingBox(awsRoot(endpoint), url, key);

/** The next version of `good` built into the publisher's folder (a new index version). */
let built = 0;
async function nextBuild(): Promise<string> {
  built += 1;
  await buildRepo(repoDir, key, [
    makeSource(path.join(srcBase, `src-${built}`), { name: 'good', version: `${built}.0.0` }),
  ]);
  return `${built}.0.0`;
}

/** Publishes through the proxy, `fate` picking what happens to each upload; the error, or 'published'. */
async function publish(to: string, fate: (method: string, url: string) => Fate): Promise<unknown> {
  fateOf = fate;
  configureTransports({ env: publisherEnv(await proxy()) });
  try {
    await publishRepository(repoDir, to);
    return 'published';
  } catch (err) {
    return err;
  } finally {
    configureTransports({ env: {} });
    fateOf = () => 'pass';
  }
}

const isPut = (m: string, url: string, tail: string) => m === 'PUT' && url.endsWith(tail);

beforeAll(async () => {
  key = await makeKey(path.join(tempDir(), 'key'));
  ({ server, endpoint } = await startS3rver());
  srcBase = tempDir();
  repoDir = path.join(srcBase, 'repo');
  Object.assign(publishLimits, { baseMs: 1500, minBytesPerSecond: 1e9 });
}, 60_000);
afterAll(async () => {
  Object.assign(publishLimits, saved);
  configureTransports({ env: {} });
  for (const c of closers) c();
  await server?.close();
});

describe('a publish to a bucket that fails between the index and its signature', () => {
  it('refused at index.json.asc: readers still verify the new index, and the error says what they see', async () => {
    const to = 's3://blueprint-repo/refused';
    await nextBuild();
    expect(await publish(to, () => 'pass')).toBe('published');
    const pm = await reader(to);
    expect((await pm.update())[0]).toMatchObject({ ok: true, version: built });
    const v = await nextBuild();
    const got = await publish(to, (m, url) => (isPut(m, url, '/index.json.asc') ? 'fail' : 'pass'));
    // What was stored: the new index, the old index.json.asc; a reader verifies the new one.
    const [o] = await pm.update();
    expect(o).toMatchObject({ ok: true, version: built, changed: true });
    await pm.install(['good']);
    expect((await pm.installed())[0]?.version).toBe(v);
    expect(got).toMatchObject({ code: 'network' });
    const message = (got as Error).message;
    expect(message).toContain('index.json.asc');
    expect(message).toMatch(/readers/);
    expect(message).toMatch(/by-hash\/SHA256\/[0-9a-f]{64}\.asc/);
  }, 60_000);

  it('stalled at index.json.asc past its deadline: publish-timeout, and readers verify the new index', async () => {
    const to = 's3://blueprint-repo/stalled';
    await nextBuild();
    expect(await publish(to, () => 'pass')).toBe('published');
    const pm = await reader(to);
    expect((await pm.update())[0]).toMatchObject({ ok: true, version: built });
    await nextBuild();
    const got = await publish(to, (m, url) => (isPut(m, url, '/index.json.asc') ? 'stall' : 'pass'));
    expect((await pm.update())[0]).toMatchObject({ ok: true, version: built, changed: true });
    expect(got).toMatchObject({ code: 'publish-timeout' });
    expect((got as Error).message).toMatch(/by-hash\/SHA256\/[0-9a-f]{64}\.asc/);
  }, 60_000);

  it('the signature by hash is stored before the index: refused there, readers keep the old index whole', async () => {
    const to = 's3://blueprint-repo/before';
    await nextBuild();
    expect(await publish(to, () => 'pass')).toBe('published');
    const pm = await reader(to);
    expect((await pm.update())[0]).toMatchObject({ ok: true, version: built });
    await nextBuild();
    seen.length = 0;
    const got = await publish(to, (m, url) => (m === 'PUT' && url.includes('/by-hash/') ? 'fail' : 'pass'));
    expect((got as Error).message).toMatch(/readers see the repository as it was/);
    expect(seen.some((s) => s.includes('/index.json '))).toBe(false);
    expect((await pm.update())[0]).toMatchObject({ ok: true, version: built - 1, changed: false });
  }, 60_000);

  it('a signature that is not the index’s is still refused: the fallback checks the same bytes with the same keys', async () => {
    const to = 's3://blueprint-repo/tampered';
    await nextBuild();
    expect(await publish(to, () => 'pass')).toBe('published');
    const pm = await reader(to);
    expect((await pm.update())[0]).toMatchObject({ ok: true });
    // Another index put in place (by whoever can write the bucket), neither signature its own.
    const { AwsClient } = await import('aws4fetch');
    const aws = new AwsClient({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', service: 's3' });
    const put = await aws.fetch(`${endpoint}/blueprint-repo/tampered/index.json`, {
      method: 'PUT',
      body: '{"repository":"test","version":99,"packages":[]}',
    });
    expect(put.status).toBe(200);
    const [o] = await pm.update();
    expect(o).toMatchObject({ ok: false, error: { code: 'bad-signature' } });
  }, 60_000);

  it('a key rotation notice is the same pair: refused at its .asc, readers still take the notice', async () => {
    const to = 's3://blueprint-repo/rotation';
    await nextBuild();
    expect(await publish(to, () => 'pass')).toBe('published');
    const pm = await reader(to);
    expect((await pm.update())[0]).toMatchObject({ ok: true, version: built });
    const next = await makeKey(path.join(tempDir(), 'next-key'));
    await announceKeyRotation(repoDir, next.publicKey, next.fingerprint, { keyFile: key.privateFile });
    await nextBuild();
    const got = await publish(to, (m, url) => (isPut(m, url, '/keys/rotation.json.asc') ? 'fail' : 'pass'));
    expect((await pm.update())[0]).toMatchObject({
      ok: true,
      version: built - 1,
      rotatedKey: next.fingerprint,
    });
    expect((got as Error).message).toMatch(/rotation/);
  }, 60_000);
});
