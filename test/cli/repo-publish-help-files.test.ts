/**
 * `blueprint repo publish --help` said "Only what the index names (each package with its .asc),
 * keys/rotation.json(.asc) and the signed index are uploaded", but a publish also uploads the
 * index's signature stored by its hash (by-hash/SHA256/HEX.asc, docs/remote-repositories.md), and
 * after it prunes older ones there: a publisher writing a bucket policy from the help left out the
 * by-hash/ prefix and s3:DeleteObject. Every file a publish to an S3 server says it uploaded is of
 * a kind the help names.
 */
import path from 'node:path';
import type S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRepo, GOOD, makeKey, makeSource, run, tempDir } from '../helpers/pkg.js';
import { publisherEnv, startS3rver } from '../helpers/s3-server.js';

let s3: S3rver;
let endpoint: string;

describe('repo publish --help names what a publish uploads', () => {
  beforeAll(async () => {
    ({ server: s3, endpoint } = await startS3rver());
  });
  afterAll(async () => {
    await s3?.close();
  });

  it('every uploaded file is of a kind the help names', async () => {
    const work = tempDir('bp-publish-help-');
    const key = await makeKey(path.join(work, 'key'));
    const repo = path.join(work, 'repo');
    await buildRepo(repo, key, [makeSource(path.join(work, 'src'), GOOD)]);
    const r = await run(['repo', 'publish', repo, '--to', 's3://blueprint-repo/help'], {
      env: publisherEnv(endpoint),
    });
    expect(r.code, r.stderr).toBe(0);
    const uploaded = [...`${r.stdout}\n${r.stderr}`.matchAll(/^uploaded (\S+)$/gm)].map((m) => m[1]!);
    expect(uploaded.some((f) => f.startsWith('by-hash/'))).toBe(true);
    const help = (await run(['repo', 'publish', '--help'])).stdout;
    for (const f of uploaded) {
      const kind = f.startsWith('pool/') ? '.asc' : f.startsWith('by-hash/') ? 'by-hash/' : f;
      expect(help, `the help does not name ${f}`).toContain(
        kind === 'index.json' || kind === 'index.json.asc' ? 'signed index' : kind,
      );
    }
    expect(help).toContain('s3:DeleteObject');
  });
});
