import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureTransports, fetchBytes } from '../../src/core/pkg/transport.js';

/**
 * Checked, found sound: an S3 endpoint (or whatever answers for it) that redirects a signed GET
 * is not followed, so the signed headers (Authorization, and a session token in
 * x-amz-security-token, which the redirect code would not strip) never reach another host; its
 * answer's body is not quoted beyond the error Code's letters.
 */

let endpoint: Server;
let other: Server;
const otherSaw: string[] = [];

const listen = (s: Server) =>
  new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as { port: number }).port)));

beforeAll(async () => {
  other = createServer((req, res) => {
    otherSaw.push(
      `${req.url} ${req.headers.authorization ?? ''} ${req.headers['x-amz-security-token'] ?? ''}`,
    );
    res.writeHead(200).end('{}');
  });
  const otherPort = await listen(other);
  endpoint = createServer((req, res) => {
    if (req.url?.includes('index.json'))
      return void res
        .writeHead(307, { location: `http://127.0.0.1:${otherPort}${req.url}` })
        .end('<Error><Code>TemporaryRedirect</Code><Message>\u001b]0;owned\u0007\nhint: x</Message></Error>');
    res.writeHead(404).end();
  });
  configureTransports({
    env: {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'session-token-secret',
      AWS_ENDPOINT_URL: `http://127.0.0.1:${await listen(endpoint)}`,
    },
  });
});
afterAll(() => {
  endpoint?.close();
  other?.close();
});

describe('an S3 endpoint that redirects a signed request', () => {
  it('is not followed, and nothing but its error code is quoted', async () => {
    const err = await fetchBytes('s3://bucket/repo/index.json', 1024).catch((e: unknown) => e);
    expect(otherSaw).toEqual([]);
    expect(err).toMatchObject({ code: 'network' });
    expect((err as Error).message).not.toMatch(/[\u0000-\u001f]/);
  });
});
