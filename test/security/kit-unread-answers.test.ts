/**
 * Answers waiting for clients that do not read them. Request bodies have a budget (32 MiB across
 * connections), answers had none: each connection that asked for a large answer and never read it
 * kept that answer in the socket's write buffer until the 60 s idle timeout. Many such connections
 * (a module answers a few MiB for a search or a batch of embeddings) grew the service past its
 * container's memory limit. The bytes written and not yet taken by clients must stay within the
 * budget (plus the answer being written), while a client that reads, slowly or not, gets its
 * whole answer and /health is answered.
 */
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKitServer, createLog, type KitServer } from '../../modules/kit/server/index.js';
import { rawExchange } from '../kit/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

const ANSWER = 2 * 1024 * 1024;
const BUDGET = 8 * 1024 * 1024;

let kit: KitServer | undefined;
const clients: Socket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await kit?.drain(1000);
  kit = undefined;
});

/** A kit server whose GET /big answers ANSWER bytes of JSON (each answer its own string). */
async function bigServer(limits: Record<string, number>) {
  const logged: string[] = [];
  const served: Socket[] = [];
  let answered = 0;
  /** /big answers made for each connection (none of which its client reads, in the pipelining case). */
  const made = new Map<Socket, number>();
  kit = createKitServer({
    log: createLog({ name: 't', write: (t) => logged.push(t) }),
    errorBody: (err) => ({ error: err.message }),
    limits,
    routes: {
      '/big': {
        method: 'GET',
        handle: (ctx) => {
          answered++;
          made.set(ctx.req.socket, (made.get(ctx.req.socket) ?? 0) + 1);
          return { json: `"${String(answered).padStart(8, '0')}${'x'.repeat(ANSWER - 10)}"` };
        },
      },
      // An answer that never ends while its client does not read (a snapshot download: each chunk
      // waits until the socket took the one before).
      '/stream': {
        method: 'GET',
        handle: () => ({
          stream: (async function* () {
            for (;;) yield new Uint8Array(256 * 1024);
          })(),
        }),
      },
    },
  });
  kit.server.on('connection', (s) => served.push(s));
  const socket = join(tempDir('kit-unread-'), 'api.sock');
  await kit.listen(socket);
  return {
    socket,
    logged,
    answered: () => answered,
    /** Bytes the server holds for its clients' sockets, written and not yet taken by the kernel. */
    held: () => served.reduce((n, s) => n + (s.destroyed ? 0 : s.writableLength), 0),
    /** Bytes of /big answers made for connections still open. */
    madeForOpen: () => served.reduce((n, s) => n + (s.destroyed ? 0 : (made.get(s) ?? 0) * ANSWER), 0),
  };
}

const GET = 'GET /big HTTP/1.1\r\nHost: x\r\n\r\n';
const until = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
};

/** A client that asks for the big answer and never reads (paused: it takes at most its buffer). */
function nonReader(socket: string): Socket {
  const c = connect(socket);
  c.on('error', () => undefined);
  c.pause();
  c.write(GET);
  clients.push(c);
  return c;
}

/** A client that reads its answer one read (what its stream buffered) every 10 ms; resolves with the bytes it got. */
function slowReader(socket: string): Promise<number> {
  return new Promise((resolve) => {
    const c = connect(socket);
    clients.push(c);
    let got = 0;
    c.on('error', () => undefined);
    c.on('close', () => resolve(got));
    c.pause();
    const tick = setInterval(() => {
      const chunk = c.read() as Buffer | null; // what one read takes (at most 16 KiB): a slow client
      if (chunk === null) return;
      got += chunk.length;
      if (got > ANSWER) {
        clearInterval(tick);
        resolve(got);
        c.destroy();
      }
    }, 10);
    c.on('close', () => clearInterval(tick));
    c.write(GET);
  });
}

describe('answers to clients that do not read are bounded across connections', () => {
  it('24 connections that never read their 2 MiB answers: the server holds at most the budget plus one answer', async () => {
    const s = await bigServer({ maxUnreadAnswerBytes: BUDGET });
    for (let i = 0; i < 24; i++) {
      nonReader(s.socket);
      await until(() => s.answered() > i);
    }
    // Before the bound: 24 answers held (~45 MiB) until the 60 s idle timeout. (Waited for, at most
    // 10 s: before, a 100 ms sleep.)
    await until(() => s.held() <= BUDGET + ANSWER);
    expect(s.held()).toBeLessThanOrEqual(BUDGET + ANSWER);
    expect(s.logged.join('')).toMatch(/unread answers/);
    // The service still answers /health, and a client that reads gets its whole answer.
    expect(
      await rawExchange(s.socket, 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    ).toMatch(/^HTTP\/1\.1 200 /);
    const whole = await rawExchange(
      s.socket,
      `GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      10_000,
    );
    expect(whole).toMatch(/^HTTP\/1\.1 200 /);
    expect(whole.length).toBeGreaterThan(ANSWER);
  }, 30_000);

  it('a client that reads slowly while others never read gets its whole answer', async () => {
    const s = await bigServer({ maxUnreadAnswerBytes: BUDGET });
    const slow = slowReader(s.socket);
    await until(() => s.answered() > 0);
    for (let i = 1; i < 20; i++) {
      nonReader(s.socket);
      await until(() => s.answered() > i);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(s.logged.join('')).toMatch(/unread answers/); // non-readers were closed while it read
    expect(await slow).toBeGreaterThan(ANSWER);
    expect(s.held()).toBeLessThanOrEqual(BUDGET + ANSWER);
  }, 30_000);

  it('answers pipelined behind one that never ends (its client reads nothing) count too', async () => {
    const s = await bigServer({ maxUnreadAnswerBytes: BUDGET });
    // Each connection: a stream its client never reads, then 4 large answers kept in order behind it.
    for (let i = 0; i < 4; i++) {
      const c = connect(s.socket);
      c.on('error', () => undefined);
      c.pause();
      c.write(`GET /stream HTTP/1.1\r\nHost: x\r\n\r\n${GET.repeat(4)}`);
      clients.push(c);
      await until(() => s.answered() >= 4 * (i + 1));
    }
    // Before: 16 answers (32 MiB) held for 4 connections until the idle timeout. (Waited for, at
    // most 10 s: before, a 100 ms sleep.)
    await until(() => s.madeForOpen() <= BUDGET + ANSWER);
    expect(s.madeForOpen()).toBeLessThanOrEqual(BUDGET + ANSWER);
    expect(
      await rawExchange(s.socket, 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    ).toMatch(/^HTTP\/1\.1 200 /);
  }, 30_000);
});
