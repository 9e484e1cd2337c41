/**
 * The kit's streamed answers in bytes (Reply.stream of Uint8Array chunks, Reply.length): what a
 * module needs to send a file without holding it (the vectors module's snapshot download). With a
 * length the answer has content-length and keeps the connection; without one it is chunked. Each
 * chunk of bytes is taken whole by the socket before the next is asked for, so a stream may refill
 * one buffer, also for a client that reads slowly. A stream that gives fewer bytes than its length
 * ends the connection (the client sees the answer cut short, not a whole one); one that gives more
 * is sent up to its length, then the connection ends.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createKitServer, createLog, type KitServer } from '../../modules/kit/server/index.js';
import { tempDir } from '../setup/temp-registry.js';

const CHUNK = 64 * 1024;
const CHUNKS = 64; // 4 MiB: far over the socket's buffers
let kit: KitServer;
let sock: string;
let agent: Agent;
let endlessClosed = 0;

/** `n` chunks of CHUNK bytes, chunk i filled with 0x80 + i, all through ONE buffer refilled each time. */
async function* oneBuffer(n: number): AsyncGenerator<Uint8Array> {
  const buf = Buffer.alloc(CHUNK);
  for (let i = 0; i < n; i++) {
    buf.fill(0x80 + i); // not UTF-8 on its own: a chunk taken as text would come back changed
    yield buf;
  }
}
const expected = (n: number) =>
  Buffer.concat(Array.from({ length: n }, (_, i) => Buffer.alloc(CHUNK, 0x80 + i)));

beforeAll(async () => {
  kit = createKitServer({
    log: createLog({ name: 'bytes', write: () => undefined }),
    errorBody: (e) => ({ error: e.message }),
    routes: {
      '/file': {
        method: 'GET',
        handle: () => ({
          stream: oneBuffer(CHUNKS),
          length: CHUNKS * CHUNK,
          headers: { 'content-type': 'application/octet-stream' },
        }),
      },
      '/chunked': { method: 'GET', handle: () => ({ stream: oneBuffer(CHUNKS) }) },
      '/short': { method: 'GET', handle: () => ({ stream: oneBuffer(2), length: 3 * CHUNK }) },
      '/long': { method: 'GET', handle: () => ({ stream: oneBuffer(3), length: 2 * CHUNK }) },
      '/ok': { method: 'GET', handle: () => ({ body: { ok: true } }) },
      // Endless, and never waiting on I/O between chunks (bytes already in memory).
      '/endless': {
        method: 'GET',
        handle: () => ({
          stream: (async function* () {
            try {
              for (;;) yield Buffer.alloc(CHUNK, 1);
            } finally {
              endlessClosed++;
            }
          })(),
        }),
      },
    },
  });
  sock = join(tempDir('kit-bytes-'), 'api.sock');
  await kit.listen(sock);
  agent = new Agent({ connect: { socketPath: sock } });
});
afterAll(async () => {
  await agent.close();
  await kit.drain(1000);
});

it('a stream of bytes with its length: content-length, the bytes as they were, the connection kept', async () => {
  const res = await fetch('http://kit/file', { dispatcher: agent });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-length')).toBe(String(CHUNKS * CHUNK));
  expect(res.headers.get('transfer-encoding')).toBeNull();
  expect(res.headers.get('content-type')).toBe('application/octet-stream');
  expect(Buffer.from(await res.arrayBuffer()).equals(expected(CHUNKS))).toBe(true);
  expect(res.headers.get('connection')).toBe('keep-alive');
  expect(await (await fetch('http://kit/ok', { dispatcher: agent })).json()).toEqual({ ok: true });
});

it('without a length: chunked, the same bytes', async () => {
  const res = await fetch('http://kit/chunked', { dispatcher: agent });
  expect(res.headers.get('transfer-encoding')).toBe('chunked');
  expect(Buffer.from(await res.arrayBuffer()).equals(expected(CHUNKS))).toBe(true);
});

it('a client that stops reading gets the same bytes: the buffer is refilled only once sent', async () => {
  const got = await new Promise<Buffer>((resolve, reject) => {
    const req = request({ socketPath: sock, path: '/file' }, (res) => {
      const parts: Buffer[] = [];
      let paused = 0;
      res.on('data', (c: Buffer) => {
        parts.push(c);
        if (paused++ < 3) {
          res.pause();
          setTimeout(() => res.resume(), 100);
        }
      });
      res.on('end', () => resolve(Buffer.concat(parts)));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  expect(got.equals(expected(CHUNKS))).toBe(true);
});

it('fewer bytes than the length: cut short; more: never past the length; the server serves on', async () => {
  const outcomes: string[] = [];
  for (const path of ['/short', '/long']) {
    const outcome = await fetch(`http://kit${path}`, { dispatcher: agent })
      .then((r) => r.arrayBuffer())
      .then(
        (b) => `whole ${b.byteLength}`,
        (e: Error) => `failed: ${e.message}`,
      );
    outcomes.push(outcome);
  }
  expect(outcomes[0]).toMatch(/^failed/);
  expect(outcomes[1]).toBe(`whole ${2 * CHUNK}`);
  expect((await fetch('http://kit/ok', { dispatcher: agent })).status).toBe(200);
});

it('a stream that never waits on I/O stops when its client leaves (it spun the event loop forever)', async () => {
  const c = connect(sock);
  c.on('error', () => undefined);
  c.write('GET /endless HTTP/1.1\r\nHost: x\r\n\r\n');
  await new Promise((r) => c.once('data', r)); // the answer has started
  c.destroy();
  // Before: a write to the destroyed socket called back at once and the loop never let 'close'
  // through: this test never ended. Now: iteration stops, the generator is closed, /ok is answered.
  const end = Date.now() + 5000;
  while (endlessClosed === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  expect(endlessClosed).toBe(1);
  const res = await fetch('http://x/ok', { dispatcher: agent });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
});
