/**
 * QA20's fleet walk: `blueprint repo publish ./repo --to s3://…` from the publisher's own account
 * with no AWS variables set first announced 'uploading pool/hello/hello_0.1.0_x86_64.bpkg (46 MiB;
 * given up after 49m)', then failed: 'No AWS credentials', with the hint to write
 * /etc/blueprint/aws/credentials (root only): a box's file, not the publisher's ~/.aws/credentials,
 * which AWS_SHARED_CREDENTIALS_FILE names. Now the credentials are looked for before any file is
 * announced, and the hint names the publisher's way too.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeKey, run, tempDir } from '../helpers/pkg.js';
import { buildBlobRepo } from '../helpers/s3-server.js';

describe('repo publish to S3 without credentials', () => {
  it('announces no upload and says where a publisher puts them', async () => {
    const base = tempDir('bp-pubcred-');
    const key = await makeKey(path.join(base, 'key'));
    const repo = path.join(base, 'repo');
    // 9 MiB that do not compress: a file the CLI announces before its upload.
    await buildBlobRepo(repo, key, base, { name: 'big', version: '1.0.0', size: 9 << 20 });
    const r = await run(
      ['--root', tempDir('bp-pubcred-root-'), 'repo', 'publish', repo, '--to', 's3://fleet-repo/stable'],
      {
        env: { PATH: '/usr/bin:/bin', HOME: base },
      },
    );
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toMatch(/No AWS credentials/);
    expect(r.stderr).not.toMatch(/uploading/);
    expect(r.stderr).toMatch(/AWS_SHARED_CREDENTIALS_FILE/);
  });
});
