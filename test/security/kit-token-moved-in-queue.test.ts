/**
 * REVIEW18 on REVIEW17's 4f9065ee (a consumer's token judged again when its queued job's turn comes):
 * the cases that test did not hold. A token blueprint moved to another consumer while the job waited
 * (rag's token now names other) must not run as rag's nor be taken as other's: 401. rag's token
 * rotated to a new one for rag (rotation withdraws the old token: its holder cannot be told from one
 * who took it) is refused too, and rag's next request with its new token runs. A job judged through
 * ctx.judged (a module's own queue) follows the same rule.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FairQueue } from '../../modules/kit/server/queue.js';
import { kitPerTest } from '../kit/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

const ADMIN = 'admin-token-0123456789abcdef';
const RAG = 'rag-token-0123456789abcdefghij';
const RAG_NEW = 'rag-token-new-0123456789abcdefg';
const OTHER = 'other-token-0123456789abcdefgh';

const k = kitPerTest('kit-token-moved');

async function serve() {
  const dir = tempDir('kit-token-moved-');
  const file = join(dir, 'client-tokens');
  writeFileSync(file, `rag ${RAG}\nother ${OTHER}\n`);
  const ran: string[] = [];
  // A module's own queue (as vectors' snapshot copies), one at a time.
  const own = new FairQueue({ concurrency: 1, maxQueued: 4, maxPerKey: 2 });
  const socket = await k.serve({
    token: ADMIN,
    clientTokens: file,
    routes: {
      '/busy': {
        method: 'POST',
        handle: async (ctx) => {
          await ctx.json();
          await ctx.queue(() => new Promise((r) => setTimeout(r, 2500)));
          await ctx.hold(
            own.run(ctx.req.socket, () => new Promise((r) => setTimeout(r, 2500)), ctx.signal, ctx.client),
          );
          return { body: {} };
        },
      },
      '/store': {
        method: 'POST',
        handle: async (ctx) => {
          const body = (await ctx.json()) as { own?: boolean; n: number };
          const work = async () => void ran.push(`${ctx.client} ${body.n}`);
          if (body.own) await ctx.hold(own.run(ctx.req.socket, ctx.judged(work), ctx.signal, ctx.client));
          else await ctx.queue(work);
          return { body: {} };
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

describe("a queued job whose token moved while it waited (the kit's queue and a module's own)", () => {
  for (const own of [false, true])
    it(`${own ? "a module's own queue (ctx.judged)" : "the kit's queue"}: moved to another consumer, or rotated: 401, nothing run`, async () => {
      const s = await serve();
      const busy = post(s.socket, '/busy', ADMIN, {});
      // The module's own queue is held from the kit's second turn on: wait for it.
      await wait(own ? 2700 : 200);
      const moved = post(s.socket, '/store', RAG, { own, n: 1 });
      await wait(200);
      s.rewrite(`other ${RAG}\nrag ${RAG_NEW}\n`);
      expect(await moved).toBe('HTTP/1.1 401 Unauthorized');
      expect(s.ran).toEqual([]);
      await busy;
      // rag with its new token runs; the old one now names other (as blueprint wrote it).
      expect(await post(s.socket, '/store', RAG_NEW, { own, n: 2 })).toBe('HTTP/1.1 200 OK');
      expect(s.ran).toEqual(['consumer:rag 2']);
    }, 15_000);
});
