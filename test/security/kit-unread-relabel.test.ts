/**
 * The unread-answer budget (./unread.ts) charges a connection to the client its latest request's
 * token named, and the client holding most gives way first. Could a consumer relabel a connection
 * holding its large unread answer by pipelining a request without a token behind it (on a route
 * that checks the token itself, as vectors' routes do), splitting its bytes between its name and
 * anonymous so that an honest client holding more than either half is closed instead?
 *
 * No (reviewed, no hole): the kit does not read the next request while an answer is unread, so the
 * pipelined request is not routed and the connection stays the consumer's. This pins it: were the
 * request routed, evil would hold 2.5 MiB and anonymous 2.5 MiB against rag's 3 MiB, and rag's
 * connection would be closed.
 */
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKitServer, createLog, HttpError, type KitServer } from '../../modules/kit/server/index.js';
import { tempDir } from '../setup/temp-registry.js';

const ADMIN = 'admin-token-0123456789abcdef';
const RAG = 'rag-token-0123456789abcdefghij';
const EVIL = 'evil-token-0123456789abcdefghi';
const MiB = 1024 * 1024;

let kit: KitServer | undefined;
const sockets: Socket[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const c of sockets.splice(0)) c.destroy();
  await kit?.drain(1000);
  kit = undefined;
});

async function serve() {
  const file = join(tempDir('kit-unread-relabel-'), 'client-tokens');
  writeFileSync(file, `rag ${RAG}\nevil ${EVIL}\n`, { mode: 0o440 });
  kit = createKitServer({
    log: createLog({ name: 't', write: () => undefined }),
    token: ADMIN,
    clientTokens: file,
    errorBody: (err) => ({ error: err.message }),
    limits: { maxUnreadAnswerBytes: 6 * MiB },
    routes: {
      '/big': {
        method: 'GET',
        handle: (ctx) => ({
          json: `"${'x'.repeat(Number(new URL(ctx.req.url, 'http://x').searchParams.get('n')) - 2)}"`,
        }),
      },
      // As vectors' routes: the kit's auth off, the token checked by the handler.
      '/open': {
        method: 'GET',
        auth: false,
        handle: (ctx) => {
          if (ctx.client === undefined) throw new HttpError(401, 'no token');
          return { json: '{}' };
        },
      },
    },
  });
  const socket = join(tempDir('kit-unread-relabel-'), 'api.sock');
  await kit.listen(socket);
  return socket;
}

const big = (bearer: string, n: number) =>
  `GET /big?n=${n} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${bearer}\r\n\r\n`;

/** A connection that reads nothing until `drain()`, which reads all and says how many bytes came. */
function sit(socket: string, text: string) {
  const c = connect(socket);
  sockets.push(c);
  c.pause();
  c.on('error', () => undefined);
  let got = 0;
  c.on('data', (d: Buffer) => {
    got += d.length;
  });
  c.write(text);
  const drain = () =>
    new Promise<number>((done) => {
      c.on('close', () => done(got));
      setTimeout(() => done(got), 3000);
      c.resume();
    });
  return { drain };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('review: a consumer relabelling its unread answers as anonymous to get an honest reader closed', () => {
  it("a tokenless request pipelined behind the consumer's answer does not move its bytes to anonymous", async () => {
    const socket = await serve();
    // rag: a 3 MiB answer, read slowly.
    const rag = sit(socket, big(RAG, 3 * MiB));
    await sleep(300);
    // evil: 2.5 MiB unread on each of two connections; the first relabelled by a tokenless request.
    const first = sit(socket, big(EVIL, 2.5 * MiB) + 'GET /open HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(300);
    const second = sit(socket, big(EVIL, 2.5 * MiB));
    await sleep(500);
    // Over the 6 MiB budget: evil holds 5 MiB, rag 3 MiB: evil's connection gives way, not rag's.
    const [r, f, s] = await Promise.all([rag.drain(), first.drain(), second.drain()]);
    expect(r).toBeGreaterThanOrEqual(3 * MiB);
    expect(Math.min(f, s)).toBeLessThan(2.5 * MiB);
  }, 30_000);
});
