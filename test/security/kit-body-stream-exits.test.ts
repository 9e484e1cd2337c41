/**
 * ctx.bodyStream() holds the piece a handler was given charged to the body budget until it asks
 * for the next, with reads paused. A handler that never asks again (stuck, or done without reading
 * the rest), or that throws, must not keep the connection or the charge: the request timeout closes
 * the connection and the budget gets the piece back on every way out. And after many mixed requests
 * (streamed, whole, refused, thrown, left mid-body, pipelined) the budget is back to 0.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { kitPerTest } from '../kit/helpers.js';

const k = kitPerTest('kit-body-stream-exits');
const { sockets } = k;

function serve() {
  return k.serve({
    limits: { maxBodyBytes: 1024 * 1024, maxBufferedBytes: 2 * 1024 * 1024, requestTimeoutMs: 800 },
    routes: {
      // Takes one piece and never asks for the next (nor looks at the signal).
      '/stall': {
        method: 'POST',
        handle: async (ctx) => {
          const it = ctx.bodyStream()[Symbol.asyncIterator]();
          await it.next();
          return new Promise(() => undefined);
        },
      },
      '/throw': {
        method: 'POST',
        handle: async (ctx) => {
          for await (const _ of ctx.bodyStream()) throw new Error('handler failed mid-body');
          return { body: {} };
        },
      },
      // Takes one piece and answers without reading the rest.
      '/first': {
        method: 'POST',
        handle: async (ctx) => {
          for await (const p of ctx.bodyStream()) return { body: { n: p.length } };
          return { body: { n: 0 } };
        },
      },
      '/whole': { method: 'POST', handle: async (ctx) => ({ body: { n: (await ctx.bytes()).length } }) },
      '/all': {
        method: 'POST',
        handle: async (ctx) => {
          let n = 0;
          for await (const p of ctx.bodyStream()) n += p.length;
          return { body: { n } };
        },
      },
    },
  });
}

const post = (path: string, n: number) =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${n}\r\n\r\n`;

/** Writes `text`, then `body`; resolves with what came back when closed or after `ms`. */
function talk(socket: string, text: string, body: Buffer, ms: number, leaveAfter?: number) {
  return new Promise<{ got: string; closed: boolean }>((resolve) => {
    const c = connect(socket);
    sockets.push(c);
    let got = '';
    c.on('data', (d: Buffer) => {
      got += d.toString('latin1');
    });
    c.on('error', () => undefined);
    c.on('close', () => resolve({ got, closed: true }));
    setTimeout(() => resolve({ got, closed: false }), ms);
    c.write(text);
    c.write(body);
    if (leaveAfter !== undefined) setTimeout(() => c.destroy(), leaveAfter);
  });
}

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
};

describe('attack: a streamed body whose handler stops asking keeps neither the connection nor the charge', () => {
  it('a handler that never asks for the next piece: closed by the request timeout, its piece given back', async () => {
    const socket = await serve();
    const r = await talk(socket, post('/stall', 512 * 1024), Buffer.alloc(256 * 1024), 5000);
    expect(r.closed).toBe(true);
    await until(() => k.kit!.stats().bufferedBytes === 0);
    expect(k.kit!.stats().bufferedBytes).toBe(0);
  }, 20_000);

  it('a handler that throws mid-body: 500, the piece given back', async () => {
    const socket = await serve();
    const r = await talk(socket, post('/throw', 512 * 1024), Buffer.alloc(256 * 1024), 5000);
    expect(r.got).toMatch(/^HTTP\/1\.1 500 /);
    await until(() => k.kit!.stats().bufferedBytes === 0);
    expect(k.kit!.stats().bufferedBytes).toBe(0);
  }, 20_000);

  it('many mixed requests, then every connection closed: the budget charges 0 bytes', async () => {
    const socket = await serve();
    const kinds = ['/first', '/whole', '/all', '/throw'];
    for (let round = 0; round < 25; round++) {
      const runs: Promise<unknown>[] = [];
      for (let i = 0; i < 16; i++) {
        const k = kinds[(round + i) % kinds.length]!;
        const n = 1024 * ((i * 37 + round) % 600) + 1;
        const full = Buffer.alloc(n, 0x61);
        // Some complete, some pipelined with a second, some left mid-body, some over the budget.
        if (i % 5 === 0) runs.push(talk(socket, post(k, n), full.subarray(0, n >> 1), 300, 50));
        else if (i % 5 === 1)
          runs.push(
            talk(
              socket,
              post(k, n),
              Buffer.concat([full, Buffer.from(post('/all', 10)), Buffer.alloc(10)]),
              400,
            ),
          );
        else runs.push(talk(socket, post(k, n), full, 400));
      }
      await Promise.all(runs);
      for (const s of sockets.splice(0)) s.destroy();
    }
    await until(() => k.kit!.stats().bufferedBytes === 0);
    expect(k.kit!.stats().bufferedBytes).toBe(0);
  }, 60_000);
});
