import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * `repo publish --credentials FILE`: the file named is the registry logins (credentials.json). A
 * missing one was read as 'no logins' and the upload went on anonymously (an OCI registry then
 * answered 401; S3 said 'No AWS credentials', the file never looked at). Said before anything else.
 */
describe('repo publish --credentials', () => {
  const repo = tempDir('bp-pubcred-'); // not built: the credentials are judged first
  const missing = path.join(tempDir('bp-pubcred-'), 'nope.json');

  it('a file that is not there: not found (3), named', async () => {
    const r = await runCliHere([
      'repo',
      'publish',
      repo,
      '--to',
      'oci://127.0.0.1:9/o/r',
      '--credentials',
      missing,
    ]);
    expect(r.code).toBe(3);
    expect(r.err).toContain(`${missing} does not exist`);
  });

  it('with an s3:// target: refused (2), and the hint says how S3 takes credentials', async () => {
    const r = await runCliHere(['repo', 'publish', repo, '--to', 's3://bucket/p', '--credentials', missing]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--credentials is for OCI registries');
    expect(r.err).toContain('AWS_SHARED_CREDENTIALS_FILE');
    expect(existsSync(missing)).toBe(false);
  });
});
