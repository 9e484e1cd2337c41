/**
 * ctx.bodyStream(): the body as it arrives, a piece at a time, each piece charged to the body
 * budget only until the next is asked for, reads paused while a piece is held, the body limit
 * (413) and the budget (503) thrown from the iterator, ClientGoneError when the client leaves.
 */
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ClientGoneError } from '../../modules/kit/server/index.js';
import { until } from '../helpers/until.js';
import { kitPerTest } from './helpers.js';

const k = kitPerTest('kit-body-stream');
const { sockets } = k;

const MAX_BODY = 8 * 1024 * 1024;

async function streamServer(budget: number, pieceDelayMs = 0) {
  const seen = { peak: 0, errors: [] as string[], pieces: 0 };
  const socket = await k.serve({
    limits: { maxBodyBytes: MAX_BODY, maxBufferedBytes: budget },
    routes: {
      '/upload': {
        method: 'POST',
        handle: async (ctx) => {
          const hash = createHash('sha256');
          let size = 0;
          try {
            for await (const piece of ctx.bodyStream()) {
              seen.pieces++;
              seen.peak = Math.max(seen.peak, k.kit!.stats().bufferedBytes);
              hash.update(piece);
              size += piece.length;
              if (pieceDelayMs) await new Promise((r) => setTimeout(r, pieceDelayMs));
            }
          } catch (err) {
            seen.errors.push(err instanceof ClientGoneError ? 'gone' : (err as Error).message);
            throw err;
          }
          return { body: { size, sha256: hash.digest('hex') } };
        },
      },
      '/twice': {
        method: 'POST',
        handle: async (ctx) => {
          await ctx.bytes();
          try {
            ctx.bodyStream();
          } catch (err) {
            return { body: { refused: (err as Error).message } };
          }
          return { body: { refused: false } };
        },
      },
    },
  });
  return { socket, seen };
}

/** Sends `head` then `body` in `piece`-byte writes; the whole answer once the server closes or answers. */
function send(socket: string, head: string, body: Buffer, piece = 64 * 1024): Promise<string> {
  return new Promise((resolve) => {
    const c = connect(socket);
    sockets.push(c);
    let got = '';
    c.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      const m = /content-length: (\d+)\r\n/i.exec(got);
      const at = got.indexOf('\r\n\r\n');
      if (m && at >= 0 && got.length >= at + 4 + Number(m[1])) resolve(got);
    });
    c.on('error', () => undefined);
    c.on('close', () => resolve(got));
    c.write(head);
    let off = 0;
    const more = () => {
      while (off < body.length) {
        const ok = c.write(body.subarray(off, off + piece));
        off += piece;
        if (!ok) return void c.once('drain', more);
      }
    };
    more();
  });
}

const head = (n: number) =>
  `POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${n}\r\n\r\n`;
const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));

describe('ctx.bodyStream()', () => {
  it('a 6 MiB body through a 1 MiB budget: every byte, in order, never held whole', async () => {
    const s = await streamServer(1024 * 1024, 1);
    const data = Buffer.alloc(6 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(i, i);
    const answer = await send(s.socket, head(data.length), data);
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(bodyOf(answer)).toEqual({
      size: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
    });
    expect(s.seen.pieces).toBeGreaterThan(1);
    // A piece and one socket read at most: reads pause while a piece is held.
    expect(s.seen.peak).toBeLessThanOrEqual(512 * 1024);
    expect(k.kit!.stats().bufferedBytes).toBe(0);
  }, 30_000);

  it('a chunked body over the limit: the 413 is thrown from the iterator, the connection closed', async () => {
    const s = await streamServer(64 * 1024 * 1024);
    const piece = Buffer.alloc(1024 * 1024, 0x61);
    const chunk = Buffer.concat([
      Buffer.from(`${piece.length.toString(16)}\r\n`),
      piece,
      Buffer.from('\r\n'),
    ]);
    const answer = await send(
      s.socket,
      'POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n',
      Buffer.concat(Array(10).fill(chunk)),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/connection: close\r\n/i);
    expect(s.seen.errors).toEqual([`request body over ${MAX_BODY} bytes`]);
    await until('its bytes given back', () => k.kit!.stats().bufferedBytes === 0); // before: a 50 ms sleep
    expect(k.kit!.stats().bufferedBytes).toBe(0);
  }, 30_000);

  it('a client that leaves mid-body: ClientGoneError from the iterator, its bytes given back', async () => {
    const s = await streamServer(8 * 1024 * 1024);
    const c = connect(s.socket);
    sockets.push(c);
    c.on('error', () => undefined);
    c.write(head(4 * 1024 * 1024));
    c.write(Buffer.alloc(256 * 1024));
    const end = Date.now() + 5000;
    while (s.seen.pieces === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    c.destroy();
    while (s.seen.errors.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    expect(s.seen.errors).toEqual(['gone']);
    expect(k.kit!.stats().bufferedBytes).toBe(0);
  }, 30_000);

  it('the connection carries on after a streamed body: the next request on it is read and answered', async () => {
    const s = await streamServer(1024 * 1024, 1);
    const data = Buffer.alloc(2 * 1024 * 1024, 0x62);
    const answers = await new Promise<string>((resolve) => {
      const c = connect(s.socket);
      sockets.push(c);
      let got = '';
      const t = setTimeout(() => resolve(got), 3000);
      c.on('data', (d: Buffer) => {
        const first = !/"sha256"/.test(got);
        got += d.toString('latin1');
        const n = (got.match(/"sha256"/g) ?? []).length;
        // The next request only once the first is answered (not already in the server's buffer).
        if (first && n === 1) c.write(`${head(3)}abc`);
        if (n === 2) {
          clearTimeout(t);
          resolve(got);
        }
      });
      c.on('close', () => resolve(got));
      c.write(head(data.length));
      c.write(data);
    });
    expect(answers.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
    expect(answers).not.toMatch(/connection: close/i);
  }, 30_000);

  it('a body already read whole cannot be streamed again', async () => {
    const s = await streamServer(8 * 1024 * 1024);
    const answer = await send(s.socket, head(3).replace('/upload', '/twice'), Buffer.from('abc'));
    expect(bodyOf(answer).refused).toMatch(/read once/);
  }, 30_000);
});
