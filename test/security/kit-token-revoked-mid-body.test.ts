/**
 * A request with a body is named by its token at its head (the body budget charges it to its
 * client before the first piece, ./kit-body-client-names.test.ts). A consumer's token revoked while
 * that body is still arriving (blueprint rotates or removes it: `blueprint service token NAME
 * --rotate`, the consumer removed; the request may take up to requestTimeoutMs, 15 s) must not
 * carry the request through: once the body is in, the token table is asked again, and a token it
 * no longer holds gets 401; the handler gets no body (so does nothing with it). The kit looks at
 * the file at most once a second for a known token (modules/kit/server/clients.ts), so the rest of
 * the body is sent a little over a second after the file changed.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../modules/kit/server/index.js';
import { kitPerTest } from '../kit/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

const ADMIN = 'admin-token-0123456789abcdef';
const RAG = 'rag-token-0123456789abcdefghij';
const RAG_ROTATED = 'rag-token-rotated-0123456789abc';
const OTHER = 'other-token-0123456789abcdefgh';
const RECHECK_WAIT_MS = 1200;

const k = kitPerTest('kit-token-revoked-mid-body');

async function serve() {
  const dir = tempDir('kit-token-revoked-');
  const file = join(dir, 'client-tokens');
  writeFileSync(file, `rag ${RAG}\n`);
  const bodies: unknown[] = [];
  const socket = await k.serve({
    token: ADMIN,
    clientTokens: file,
    tokenHeader: 'api-key',
    routes: {
      '/store': {
        method: 'POST',
        handle: async (ctx) => {
          bodies.push(await ctx.json());
          return { body: { stored: true, client: ctx.client } };
        },
      },
      // As vectors: the kit's auth off, the token checked by the route (sent in Qdrant's api-key).
      '/own-check': {
        method: 'POST',
        auth: false,
        handle: async (ctx) => {
          if (ctx.client === undefined) throw new HttpError(401, 'no key');
          bodies.push(await ctx.json());
          return { body: { stored: true, owner: ctx.client } };
        },
      },
      '/stream': {
        method: 'POST',
        handle: async (ctx) => {
          let n = 0;
          for await (const piece of ctx.bodyStream()) n += piece.length;
          bodies.push(n);
          return { body: { stored: n } };
        },
      },
    },
  });
  // Blueprint writes the file anew by a rename.
  const rewrite = (text: string) => {
    writeFileSync(join(dir, 'new'), text);
    renameSync(join(dir, 'new'), file);
  };
  return { socket, bodies, rewrite };
}

/** Sends the head and half the body, runs `meanwhile`, then the rest; the answer's status line. */
async function halfThenRest(
  socket: string,
  path: string,
  token: string,
  meanwhile: () => Promise<void>,
  header = (t: string) => `Authorization: Bearer ${t}`,
) {
  const body = Buffer.from(JSON.stringify({ text: 'x'.repeat(4000) }));
  const c = connect(socket);
  k.sockets.push(c);
  let got = '';
  c.on('data', (d: Buffer) => {
    got += d.toString('latin1');
  });
  c.on('error', () => undefined);
  c.write(
    `POST ${path} HTTP/1.1\r\nHost: x\r\n${header(token)}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
  );
  c.write(body.subarray(0, body.length / 2));
  await new Promise((r) => setTimeout(r, 50));
  await meanwhile();
  c.write(body.subarray(body.length / 2));
  const end = Date.now() + 5000;
  while (!got.includes('\r\n\r\n') && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return got.split('\r\n')[0] ?? '';
}

const wait = (ms: number) => () => new Promise<void>((r) => setTimeout(r, ms));

describe('a consumer token revoked while its request body arrives', () => {
  it('rotated mid-body: 401 once the body is in, and the handler gets no body', async () => {
    const s = await serve();
    const status = await halfThenRest(s.socket, '/store', RAG, async () => {
      s.rewrite(`rag ${RAG_ROTATED}\n`);
      await wait(RECHECK_WAIT_MS)();
    });
    expect(status).toBe('HTTP/1.1 401 Unauthorized');
    expect(s.bodies).toEqual([]);
  });

  it('removed mid-body, the body read as a stream: 401, the stream never ends well', async () => {
    const s = await serve();
    const status = await halfThenRest(s.socket, '/stream', RAG, async () => {
      s.rewrite('');
      await wait(RECHECK_WAIT_MS)();
    });
    expect(status).toBe('HTTP/1.1 401 Unauthorized');
    expect(s.bodies).toEqual([]);
  });

  it('a route that checks the token itself (vectors), the token in api-key: 401, no body stored', async () => {
    const s = await serve();
    const status = await halfThenRest(
      s.socket,
      '/own-check',
      RAG,
      async () => {
        s.rewrite(`rag ${RAG_ROTATED}\n`);
        await wait(RECHECK_WAIT_MS)();
      },
      (t) => `api-key: ${t}`,
    );
    expect(status).toBe('HTTP/1.1 401 Unauthorized');
    expect(s.bodies).toEqual([]);
    // Not revoked: stored, as its owner.
    expect(await halfThenRest(s.socket, '/own-check', RAG_ROTATED, wait(10), (t) => `api-key: ${t}`)).toBe(
      'HTTP/1.1 200 OK',
    );
  });

  it('not revoked (nothing changed, or another consumer added): answered as before', async () => {
    const s = await serve();
    expect(await halfThenRest(s.socket, '/store', RAG, wait(RECHECK_WAIT_MS))).toBe('HTTP/1.1 200 OK');
    const added = await halfThenRest(s.socket, '/store', RAG, async () => {
      s.rewrite(`rag ${RAG}\nother ${OTHER}\n`);
      await wait(RECHECK_WAIT_MS)();
    });
    expect(added).toBe('HTTP/1.1 200 OK');
    expect(s.bodies).toHaveLength(2);
    // The rotated token works for a request of its own.
    s.rewrite(`rag ${RAG_ROTATED}\n`);
    expect(await halfThenRest(s.socket, '/store', RAG_ROTATED, wait(10))).toBe('HTTP/1.1 200 OK');
  });
});
