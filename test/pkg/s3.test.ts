/**
 * S3 repositories against s3rver on 127.0.0.1 (an S3 implementation we did not write). s3rver
 * checks that the access key is known but does NOT verify SigV4 signatures (see
 * ../shared/ENVIRONMENT.md), so nothing here claims to test signature verification: requests are
 * signed by aws4fetch, and these tests cover addressing, credentials lookup, refusal of an unknown
 * key, missing objects and the upload order.
 */
import path from 'node:path';
import { AwsClient } from 'aws4fetch';
import type S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishRepository } from '../../src/core/pkg/publish-remote.js';
import { configureTransports } from '../../src/core/pkg/transport.js';
import { makeKey, type TestKey, tempDir } from '../helpers/pkg.js';
import { awsRoot, goodVersions, publisherEnv, startS3rver, trustingBox } from '../helpers/s3-server.js';

let key: TestKey;
let server: S3rver;
let endpoint: string;
const puts: string[] = [];

/** A box root whose /etc/blueprint/aws holds the shared credentials (of `accessKey`, `mode`) and config files. */
const boxRoot = (accessKey: string, mode = 0o600) => awsRoot(endpoint, { accessKey, mode });
const box = (root: string, url: string) => trustingBox(root, url, key);

describe('S3 repositories (s3rver on 127.0.0.1)', () => {
  beforeAll(async () => {
    key = await makeKey(path.join(tempDir(), 'key'));
    ({ server, endpoint } = await startS3rver());
    server.on('event', (e: { Records: { eventName: string; s3: { object: { key: string } } }[] }) => {
      for (const r of e.Records) if (r.eventName.startsWith('ObjectCreated')) puts.push(r.s3.object.key);
    });
    // The publisher signs with credentials from its environment, the AWS way.
    configureTransports({ env: publisherEnv(endpoint) });
    await publishRepository(
      await goodVersions(key, ['1.0.0', '2.0.0']),
      's3://blueprint-repo/stable/modules',
    );
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  it('publishes packages before the index, and a box installs with its root-only shared credentials', async () => {
    // The index's signature by hash before the index (test/security/s3-index-signature).
    expect(puts.map((k) => k.replace(/[0-9a-f]{64}/, 'HEX'))).toEqual([
      'stable/modules/pool/good/good_1.0.0_all.bpkg',
      'stable/modules/pool/good/good_1.0.0_all.bpkg.asc',
      'stable/modules/pool/good/good_2.0.0_all.bpkg',
      'stable/modules/pool/good/good_2.0.0_all.bpkg.asc',
      'stable/modules/by-hash/SHA256/HEX.asc',
      'stable/modules/index.json',
      'stable/modules/index.json.asc',
    ]);
    configureTransports({ env: {} });
    const pm = await box(boxRoot('S3RVER'), 's3://blueprint-repo/stable/modules');
    expect((await pm.update())[0]).toMatchObject({ ok: true, version: 2, packages: 2 });
    await pm.install(['good']);
    expect((await pm.installed())[0]?.version).toBe('2.0.0');
  });

  it('an unknown access key is refused (403), and a credentials file others can read is not used', async () => {
    configureTransports({ env: {} });
    const [o] = await (await box(boxRoot('NOT-A-KEY'), 's3://blueprint-repo/stable/modules')).update();
    expect(o).toMatchObject({ ok: false, error: { code: 'access-denied' } });
    expect(o?.error?.message).toMatch(/InvalidAccessKeyId/);
    const [loose] = await (
      await box(boxRoot('S3RVER', 0o644), 's3://blueprint-repo/stable/modules')
    ).update();
    expect(loose).toMatchObject({ ok: false, error: { code: 'credentials-unsafe' } });
    const [none] = await (await box(tempDir('bp-root-'), 's3://blueprint-repo/stable/modules')).update();
    expect(none).toMatchObject({ ok: false, error: { code: 'credentials-missing' } });
  });

  it('a missing index or package object is reported as not found, and nothing is installed', async () => {
    configureTransports({ env: {} });
    const [o] = await (await box(boxRoot('S3RVER'), 's3://blueprint-repo/nothing/here')).update();
    expect(o).toMatchObject({ ok: false, error: { code: 'not-found-remote' } });
    const pm = await box(boxRoot('S3RVER'), 's3://blueprint-repo/stable/modules');
    expect((await pm.update())[0]).toMatchObject({ ok: true });
    const aws = new AwsClient({
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      service: 's3',
      region: 'us-east-1',
    });
    const del = await aws.fetch(`${endpoint}/blueprint-repo/stable/modules/pool/good/good_2.0.0_all.bpkg`, {
      method: 'DELETE',
    });
    expect(del.status).toBe(204);
    await expect(pm.install(['good'])).rejects.toMatchObject({ code: 'not-found-remote' });
    expect(await pm.installed()).toEqual([]);
  });
});

describe('remote repository paths', () => {
  it('a path from the index cannot leave an S3 prefix or an OCI repository, encoded or not', async () => {
    const { joinUrl } = await import('../../src/core/pkg/transport.js');
    for (const base of ['s3://blueprint-repo/stable/modules', 'oci://127.0.0.1:5000/acme/repo'])
      for (const rel of ['../x', 'pool/../../x', '%2e%2e/x', '/etc/passwd', 'pool/a#b', 'pool/a?x=1'])
        expect(() => joinUrl(base, rel), `${base} + ${rel}`).toThrow(/outside the repository/);
    expect(joinUrl('s3://blueprint-repo/stable/modules', 'pool/a/a_1_all.bpkg')).toBe(
      's3://blueprint-repo/stable/modules/pool/a/a_1_all.bpkg',
    );
    expect(joinUrl('oci://127.0.0.1:5000/acme/repo:stable', 'index.json')).toBe(
      'oci://127.0.0.1:5000/acme/repo:stable#index.json',
    );
  });

  it('refuses malformed repository URLs at repo add', async () => {
    const { normalizeRepoUrl } = await import('../../src/core/pkg/repos.js');
    for (const bad of ['oci://Registry/UPPER', 'oci://ghcr.io', 's3://x', 's3://bucket/pre fix', 'ftp://x/y'])
      expect(() => normalizeRepoUrl(bad), bad).toThrow();
    expect(normalizeRepoUrl('s3://my-bucket/a/b/')).toBe('s3://my-bucket/a/b');
  });
});
