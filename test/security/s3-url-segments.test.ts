import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeRepoUrl } from '../../src/core/pkg/repo-config.js';
import { configureTransports, fetchBytes, joinUrl } from '../../src/core/pkg/transport.js';
import { parseS3Url } from '../../src/core/pkg/transports/s3.js';

/**
 * Hardening: an S3 repository URL's prefix took `.` and `..` segments (`s3://public/../private`).
 * The object's URL is parsed, and so normalised, before it is signed and sent: with an endpoint
 * (path-style addressing) `/public/../private/index.json` became `/private/index.json`, a request
 * signed with the box's credentials for a bucket the URL does not name. Such a URL is refused at
 * `repo add` and again before any request is made.
 */

let server: Server;
const asked: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    asked.push(req.url ?? '');
    res.writeHead(404).end('<Error><Code>NoSuchKey</Code></Error>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  configureTransports({
    env: {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_ENDPOINT_URL: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    },
  });
});
afterAll(() => server?.close());

describe('an S3 repository URL with dot segments', () => {
  it.each(['s3://public/../private', 's3://public/./x', 's3://public/a/../../private', 's3://public/..'])(
    '%s is refused at repo add',
    (url) => {
      expect(() => normalizeRepoUrl(url)).toThrow(expect.objectContaining({ code: 'usage' }));
      expect(() => parseS3Url(url)).toThrow(expect.objectContaining({ code: 'usage' }));
    },
  );

  it('a prefix with dots in its names is still a prefix (control)', () => {
    expect(parseS3Url('s3://public/a..b/.well/x.')).toEqual({ bucket: 'public', prefix: 'a..b/.well/x.' });
  });

  it('never reaches the endpoint as another bucket', async () => {
    asked.length = 0;
    const err = await fetchBytes(joinUrl('s3://public/../private', 'index.json'), 1024).catch(
      (e: unknown) => e,
    );
    expect(asked.filter((u) => !u.startsWith('/public/'))).toEqual([]);
    expect(err).toMatchObject({ code: expect.stringMatching(/^(usage|path-outside-repository)$/) });
  });
});
