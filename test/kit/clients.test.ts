/**
 * The kit's own HTTP/1.1 server with clients we did not write: curl over --unix-socket (bodies
 * with `Expect: 100-continue`, which curl sends and waits for; a chunked upload; HEAD; 401), undici
 * (under fetch, the Qdrant and OpenAI clients) with keep-alive and a streamed answer, and
 * node:http's client for the error shapes.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKitServer, createLog, type KitServer } from '../../modules/kit/server/index.js';
import { tempDir } from '../setup/temp-registry.js';

const run = promisify(execFile);
let kit: KitServer;
let sock: string;

beforeAll(async () => {
  kit = createKitServer({
    log: createLog({ name: 'clients', write: () => undefined }),
    errorBody: (e) => ({ error: { message: e.message } }),
    token: 'a-token-of-enough-length',
    routes: {
      '/echo': {
        method: 'POST',
        handle: async (ctx) => {
          const body = (await ctx.json()) as { text: string };
          return {
            body: { length: body.text.length, expect: ctx.req.headers.expect ?? null },
            headers: { 'x-seen-te': String(ctx.req.headers['transfer-encoding'] ?? '') },
          };
        },
      },
      '/events': {
        method: 'GET',
        handle: () => ({
          body: undefined,
          headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
          stream: (async function* () {
            for (let i = 0; i < 3; i++) {
              await new Promise((r) => setTimeout(r, 20));
              yield `data: ${i}\n\n`;
            }
            yield 'data: [DONE]\n\n';
          })(),
        }),
      },
    },
  });
  sock = join(tempDir('kit-clients-'), 'api.sock');
  await kit.listen(sock);
});
afterAll(() => kit.drain(1000));

const auth = 'Authorization: Bearer a-token-of-enough-length';
/** curl over the kit's socket, quiet but for errors. */
const curl = (...args: string[]) => run('curl', ['-sS', '--unix-socket', sock, ...args]);

describe('the kit server with clients we did not write', () => {
  it('curl: bodies with Expect: 100-continue, a chunked upload, HEAD, and 401 without the token', async () => {
    // curl 7.88 asks for 100-continue on its own over 1 MiB (older ones over 1 KiB; forced below).
    const big = join(tempDir('kit-curl-'), 'big.json');
    writeFileSync(big, JSON.stringify({ text: 'é'.repeat(600_000) })); // 1.2 MB of UTF-8
    const large = await curl('-v', '-H', auth, '--data-binary', `@${big}`, 'http://localhost/echo');
    expect(large.stderr).toMatch(/> Expect: 100-continue/);
    expect(large.stderr).toMatch(/< HTTP\/1\.1 100 Continue/);
    expect(JSON.parse(large.stdout)).toEqual({ length: 600_000, expect: '100-continue' });
    const text = 'é'.repeat(2500); // 5,000 bytes of UTF-8
    const body = JSON.stringify({ text });
    const { stdout, stderr } = await curl(
      '-v',
      ...['-H', auth, '-H', 'content-type: application/json', '-H', 'Expect: 100-continue'],
      ...['--data-binary', body, 'http://localhost/echo'],
    );
    expect(stderr).toMatch(/< HTTP\/1\.1 100 Continue/);
    expect(JSON.parse(stdout)).toEqual({ length: 2500, expect: '100-continue' });
    const chunked = await curl(
      '-i',
      ...['-H', auth, '-H', 'Transfer-Encoding: chunked'],
      ...['--data-binary', body, 'http://localhost/echo'],
    );
    expect(chunked.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*x-seen-te: chunked\r\n[\s\S]*"length":2500/);
    const head = await curl('-I', 'http://localhost/health');
    expect(head.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*content-length: 15\r\n/);
    const denied = await curl('-i', '--data-binary', body, 'http://localhost/echo');
    expect(denied.stdout).toMatch(
      /^HTTP\/1\.1 401 Unauthorized\r\n[\s\S]*www-authenticate: Bearer\r\n[\s\S]*access token/,
    );
  });

  it('undici: keep-alive reuse and a streamed answer read as it comes', async () => {
    const agent = new Agent({ connect: { socketPath: sock } });
    // Kept-alive connections are reused: 6 requests on at most 2 (undici 7 opens a second one for
    // the third request against node:http's server too).
    const used = new Set<Socket>();
    const count = (s: Socket) => s.once('data', () => used.add(s));
    kit.server.on('connection', count);
    try {
      for (let i = 0; i < 6; i++) {
        const r = await fetch('http://localhost/echo', {
          method: 'POST',
          headers: { authorization: 'Bearer a-token-of-enough-length', 'content-type': 'application/json' },
          body: JSON.stringify({ text: 'x'.repeat(i * 1000) }),
          dispatcher: agent,
        });
        expect(r.status).toBe(200);
        expect(await r.json()).toEqual({ length: i * 1000, expect: null });
      }
      expect(used.size).toBeLessThanOrEqual(2);
      const r = await fetch('http://localhost/events', {
        headers: { authorization: 'Bearer a-token-of-enough-length' },
        dispatcher: agent,
      });
      expect(r.headers.get('content-type')).toBe('text/event-stream');
      expect(await r.text()).toBe('data: 0\n\ndata: 1\n\ndata: 2\n\ndata: [DONE]\n\n');
    } finally {
      kit.server.off('connection', count);
      await agent.close();
    }
  });

  it("node:http's client: 404 and 405 in the module's error shape, a query string ignored by routing", async () => {
    const get = (path: string, method = 'GET') =>
      new Promise<{ status: number; body: string }>((done, fail) => {
        const req = request({ socketPath: sock, path, method }, (res) => {
          let b = '';
          res.on('data', (c) => {
            b += c;
          });
          res.on('end', () => done({ status: res.statusCode ?? 0, body: b }));
        });
        req.on('error', fail);
        req.end();
      });
    expect(await get('/nope')).toMatchObject({
      status: 404,
      body: expect.stringMatching(/"message":"no route \/nope/),
    });
    expect((await get('/echo?x=1')).status).toBe(405);
    expect(await get('/health?probe=1')).toEqual({ status: 200, body: '{"status":"ok"}' });
  });
});
