/**
 * An s3:// URL naming a bucket that does not exist (a typo, or the wrong endpoint; found by the QA6
 * walk) was answered with hints that look elsewhere: `bpkg update` 's3://nobucket/x/index.json not
 * found (NoSuchBucket)' / 'The repository may be incomplete.', and `repo publish` 'S3 refused to
 * store …: HTTP 404 NoSuchBucket' / 'Check the AWS credentials and that they may write to the
 * bucket.'. Both now say the bucket is not there and to check the URL and the endpoint. s3rver, the
 * real executable.
 */
import type S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpkg, makeKey, run, signedRepo, tempDir } from '../helpers/pkg.js';
import { awsRoot, publisherEnv, startS3rver } from '../helpers/s3-server.js';

let server: S3rver;
let endpoint: string;
beforeAll(async () => {
  ({ server, endpoint } = await startS3rver());
});
afterAll(() => server.close());

describe('an S3 bucket that does not exist', () => {
  it('bpkg update says the bucket is not there', async () => {
    const key = await makeKey(tempDir('bp-key-'));
    const root = awsRoot(endpoint);
    expect((await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint])).code).toBe(0);
    expect(
      (await bpkg(root, ['repo', 'add', 'main', 's3://nobucket/x', '--key', key.fingerprint])).code,
    ).toBe(0);
    const r = await bpkg(root, ['update']);
    expect(r.code).not.toBe(0);
    const said = r.stdout + r.stderr;
    expect(said).toContain('NoSuchBucket');
    expect(said).toMatch(/hint: No bucket nobucket at .*: check the repository URL/);
  });

  it('repo publish says the bucket is not there', async () => {
    const { repo } = await signedRepo([{ name: 'hello-data', version: '1.0.0' }]);
    const r = await run(['repo', 'publish', repo, '--to', 's3://nobucket/x'], {
      env: publisherEnv(endpoint),
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('NoSuchBucket');
    expect(r.stderr).toMatch(/hint: No bucket nobucket at .*: check the --to URL/);
  });
});
