/**
 * The kit's bound on answers written and not yet read (maxUnreadAnswerBytes, ./unread.ts) closed,
 * when over it, the connections whose clients had taken bytes least recently, whoever they were:
 * first come, first served between clients. A client keeping many connections to large answers,
 * each read a little and often, was never the one closed; an honest client reading its one answer
 * more slowly was, again and again.
 *
 * Now a connection is charged to the client its requests' token names (as the fair queue and the
 * body budget do; no token: anonymous) and, over the budget, the client holding the most unread
 * bytes has its connections closed first (least recently read first), so the honest client gets
 * its whole answer.
 */
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKitServer, createLog, type KitServer } from '../../modules/kit/server/index.js';
import { tempDir } from '../setup/temp-registry.js';

const ADMIN = 'admin-token-0123456789abcdef';
const RAG = 'rag-token-0123456789abcdefghij';
const EVIL = 'evil-token-0123456789abcdefghi';
const ANSWER = 2 * 1024 * 1024;
const HONEST = 1024 * 1024;
const BUDGET = 6 * 1024 * 1024;

let kit: KitServer | undefined;
const clients: Socket[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const c of clients.splice(0)) c.destroy();
  await kit?.drain(1000);
  kit = undefined;
});

/** GET /big?n=BYTES answers that many bytes of JSON. */
async function bigServer() {
  const file = join(tempDir('kit-unread-clients-'), 'client-tokens');
  writeFileSync(file, `rag ${RAG}\nevil ${EVIL}\n`, { mode: 0o440 });
  const logged: string[] = [];
  kit = createKitServer({
    log: createLog({ name: 't', write: (t) => logged.push(t) }),
    token: ADMIN,
    clientTokens: file,
    errorBody: (err) => ({ error: err.message }),
    limits: { maxUnreadAnswerBytes: BUDGET },
    routes: {
      '/big': {
        method: 'GET',
        handle: (ctx) => {
          const n = Number(new URL(ctx.req.url, 'http://x').searchParams.get('n'));
          return { json: `"${'x'.repeat(n - 2)}"` };
        },
      },
    },
  });
  const socket = join(tempDir('kit-unread-clients-'), 'api.sock');
  await kit.listen(socket);
  return { socket, logged };
}

const get = (bearer: string, n: number) =>
  `GET /big?n=${n} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${bearer}\r\n\r\n`;

/**
 * A client that reads what its socket buffered every `everyMs`, and asks again (same connection)
 * each time it has its whole answer. Resolves with the bytes of its first answer it got, when it
 * has them all or its connection is closed.
 */
function reader(socket: string, bearer: string, n: number, everyMs: number, again: boolean) {
  const c = connect(socket);
  clients.push(c);
  c.on('error', () => undefined);
  c.pause();
  let got = 0;
  let first = 0;
  const whole = n + 200; // head and body
  const done = new Promise<number>((resolve) => {
    c.on('close', () => resolve(first));
    const tick = setInterval(() => {
      const chunk = c.read() as Buffer | null;
      if (chunk === null) return;
      got += chunk.length;
      if (first < whole) first = Math.min(got, whole);
      if (got >= n) {
        if (!again) {
          resolve(got);
          clearInterval(tick);
          return;
        }
        got = 0;
        c.write(get(bearer, n));
      }
    }, everyMs);
    timers.push(tick);
  });
  c.write(get(bearer, n));
  return done;
}

describe('attack: a client reading many answers a little at a time no longer gets an honest slow reader closed', () => {
  it("a consumer's 6 connections read every 5 ms; rag reads every 60 ms: rag gets its whole answer", async () => {
    const s = await bigServer();
    const honest = reader(s.socket, RAG, HONEST, 60, false);
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 6; i++) reader(s.socket, EVIL, ANSWER, 5, true);
    expect(await honest).toBeGreaterThanOrEqual(HONEST);
    // The budget was kept by closing the consumer's connections, not rag's.
    expect(s.logged.join('')).toMatch(/unread answers/);
  }, 60_000);

  it("the admin's many connections give way to rag too", async () => {
    const s = await bigServer();
    const honest = reader(s.socket, RAG, HONEST, 60, false);
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 6; i++) reader(s.socket, ADMIN, ANSWER, 5, true);
    expect(await honest).toBeGreaterThanOrEqual(HONEST);
  }, 60_000);
});
