/**
 * REVIEW17, beside LOWFIX4's 87deacde (a consumer token revoked while its request body arrives is
 * refused once the body is in): the same request may then wait for its turn in the kit's queue
 * (concurrency 1 by default: behind another client's chat, a long time), and its work ran when its
 * turn came whatever had happened to its token meanwhile. A consumer's token revoked while its job
 * waits (blueprint rotates it, or removes the consumer) must not carry the job through either: when
 * the job's turn comes the token table is asked again (only when it changed), and a token it no
 * longer holds gets 401 without the work running. The admin's token never changes while we run;
 * a token still held (nothing changed, another consumer added) runs as before.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kitPerTest } from '../kit/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

const ADMIN = 'admin-token-0123456789abcdef';
const RAG = 'rag-token-0123456789abcdefghij';
const RAG_ROTATED = 'rag-token-rotated-0123456789abc';
const OTHER = 'other-token-0123456789abcdefgh';
const BUSY_MS = 2500;

const k = kitPerTest('kit-token-in-queue');

async function serve() {
  const dir = tempDir('kit-token-in-queue-');
  const file = join(dir, 'client-tokens');
  writeFileSync(file, `rag ${RAG}\nother ${OTHER}\n`);
  const ran: string[] = [];
  const socket = await k.serve({
    token: ADMIN,
    clientTokens: file,
    routes: {
      // Another client's long job (a chat), holding the queue's one place.
      '/busy': {
        method: 'POST',
        handle: async (ctx) => {
          await ctx.json();
          await ctx.queue(() => new Promise((r) => setTimeout(r, BUSY_MS)));
          return { body: { done: true } };
        },
      },
      '/store': {
        method: 'POST',
        handle: async (ctx) => {
          const body = await ctx.json();
          await ctx.queue(async () => {
            ran.push(JSON.stringify(body));
          });
          return { body: { stored: true } };
        },
      },
    },
  });
  const rewrite = (text: string) => {
    writeFileSync(join(dir, 'new'), text);
    renameSync(join(dir, 'new'), file);
  };
  return { socket, ran, rewrite };
}

/** Sends a whole request; resolves with its status line. */
function post(socket: string, path: string, token: string, body: unknown): Promise<string> {
  const text = JSON.stringify(body);
  return new Promise((resolve) => {
    const c = connect(socket);
    k.sockets.push(c);
    let got = '';
    c.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n')) resolve(got.split('\r\n')[0] ?? '');
    });
    c.on('error', () => resolve(''));
    c.write(
      `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
    );
  });
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a consumer token revoked while its job waits in the queue', () => {
  for (const [what, change] of [
    ['rotated', `rag ${RAG_ROTATED}\nother ${OTHER}\n`],
    ['removed', `other ${OTHER}\n`],
  ] as const)
    it(`${what} while it waits: 401 when its turn comes, its work never runs`, async () => {
      const s = await serve();
      const busy = post(s.socket, '/busy', OTHER, {});
      await wait(200);
      const stored = post(s.socket, '/store', RAG, { n: 1 });
      await wait(200);
      s.rewrite(change);
      expect(await stored).toBe('HTTP/1.1 401 Unauthorized');
      expect(await busy).toBe('HTTP/1.1 200 OK');
      expect(s.ran).toEqual([]);
      // The refused job gave its place back: the next one runs.
      expect(await post(s.socket, '/store', OTHER, { n: 3 })).toBe('HTTP/1.1 200 OK');
      expect(s.ran).toEqual(['{"n":3}']);
    });

  it('not revoked (nothing changed, another consumer added), or the admin: runs in its turn', async () => {
    const s = await serve();
    const busy = post(s.socket, '/busy', OTHER, {});
    await wait(200);
    const same = post(s.socket, '/store', RAG, { n: 1 });
    const admin = post(s.socket, '/store', ADMIN, { n: 2 });
    await wait(200);
    s.rewrite(`rag ${RAG}\nother ${OTHER}\nthird ${RAG_ROTATED}\n`);
    expect(await same).toBe('HTTP/1.1 200 OK');
    expect(await admin).toBe('HTTP/1.1 200 OK');
    expect(await busy).toBe('HTTP/1.1 200 OK');
    expect(s.ran.sort()).toEqual(['{"n":1}', '{"n":2}']);
  });
});
