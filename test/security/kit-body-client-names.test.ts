/**
 * The body budget charges a body to its client as soon as its head is in, before the route runs.
 * The name must come from a token checked there, not from what a header says: an attacker sending
 * a consumer's name, or a wrong token, in `Authorization` or in a module's own token header (vectors'
 * `api-key`, the kit's tokenHeader) is anonymous. Were it charged to the consumer it names, the
 * consumer's own next body would find the budget "its own" (a client never takes room from itself)
 * and get 503; charged to anonymous, the attacker's newest upload gives way and the consumer is answered.
 */
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kitPerTest } from '../kit/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

const ADMIN = 'admin-token-0123456789abcdef';
const RAG = 'rag-token-0123456789abcdefghij';
const BODY = 1024 * 1024;

const k = kitPerTest('kit-body-client-names');
const { sockets } = k;

async function serve() {
  const file = join(tempDir('kit-body-client-names-'), 'client-tokens');
  writeFileSync(file, `rag ${RAG}\n`, { mode: 0o440 });
  return k.serve({
    token: ADMIN,
    clientTokens: file,
    tokenHeader: 'api-key',
    limits: { maxBodyBytes: BODY, maxBufferedBytes: 3 * BODY },
    routes: {
      // As vectors: the kit's auth off, the handler answers who the kit named.
      '/up': {
        method: 'POST',
        auth: false,
        handle: async (ctx) => {
          await ctx.bytes();
          return { body: { client: ctx.client ?? 'anonymous' } };
        },
      },
    },
  });
}

function open(socket: string, headers: string, length: number, body: Buffer) {
  const c = connect(socket);
  sockets.push(c);
  let got = '';
  c.on('data', (d: Buffer) => {
    got += d.toString('latin1');
  });
  c.on('error', () => undefined);
  c.write(`POST /up HTTP/1.1\r\nHost: x\r\n${headers}Content-Length: ${length}\r\n\r\n`);
  c.write(body);
  return () => got;
}

const until = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
};

describe("attack: a body claiming a consumer's name is not charged to that consumer", () => {
  for (const [how, headers] of [
    ['a wrong bearer token', 'Authorization: Bearer rag-token-guessed-wrong-000000\r\n'],
    ["the consumer's name as the token", 'Authorization: Bearer rag\r\n'],
    ['a wrong api-key (the tokenHeader path)', 'api-key: rag\r\n'],
    ['a consumer-looking header', 'X-Consumer: rag\r\nAuthorization: Bearer consumer:rag\r\n'],
  ] as const) {
    it(`${how}: its slow uploads are anonymous's and give way to rag's own body`, async () => {
      const socket = await serve();
      const uploads = [0, 1, 2].map(() => open(socket, headers, BODY, Buffer.alloc(BODY - 1, 0x20)));
      await until(() => k.kit!.stats().bufferedBytes >= 3 * (BODY - 1));
      expect(k.kit!.stats().bufferedBytes).toBe(3 * (BODY - 1));
      const rag = open(socket, `api-key: ${RAG}\r\n`, 4096, Buffer.alloc(4096, 0x20));
      await until(() => rag().includes('"client"'));
      expect(rag().split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
      expect(rag()).toContain('"client":"consumer:rag"');
      // The room came from one of the attacker's uploads (its newest): a 503.
      await until(() => uploads.some((u) => u() !== ''));
      expect(uploads.map((u) => u().split('\r\n')[0]).filter(Boolean)).toEqual([
        'HTTP/1.1 503 Service Unavailable',
      ]);
    }, 30_000);
  }

  it("the control: rag's real token on the uploads charges them to rag, and rag's next body gets 503", async () => {
    const socket = await serve();
    for (let i = 0; i < 3; i++) open(socket, `api-key: ${RAG}\r\n`, BODY, Buffer.alloc(BODY - 1, 0x20));
    await until(() => k.kit!.stats().bufferedBytes >= 3 * (BODY - 1));
    const rag = open(socket, `Authorization: Bearer ${RAG}\r\n`, 4096, Buffer.alloc(4096, 0x20));
    await until(() => rag() !== '');
    expect(rag().split('\r\n')[0]).toBe('HTTP/1.1 503 Service Unavailable');
  }, 30_000);
});
