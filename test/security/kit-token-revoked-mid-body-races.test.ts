/**
 * REVIEW17, attack on LOWFIX4's 87deacde/dde8d02c (a consumer token revoked while its request body
 * arrives is refused once the body is in; a change counter on the token table says when to name the
 * token again). Found sound; this file keeps it so:
 * - rotated twice mid-body (A, B, C): 401; the counter moved, whatever it reads now;
 * - rotated away and back to the same token mid-body (A, B, A): 200, as the token names the same
 *   consumer when the body is in (what the table says then is what counts);
 * - the consumer removed and its token given to another name mid-body: 401 (the token now names
 *   someone else: the request is not carried over to the new name);
 * - a request pipelined after one refused at its body's end, on the same connection: its own head
 *   judges it (the new token: 200, its own body; the old one: 401), nothing of the refused body is
 *   read as a request or reaches the handler;
 * - the admin's token mid-body while the consumers' file changes: 200 (the admin's never changes).
 * The kit looks at the file at most once a second for a known token (modules/kit/server/clients.ts).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kitPerTest } from '../kit/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

const ADMIN = 'admin-token-0123456789abcdef';
const A = 'rag-token-a-0123456789abcdefghij';
const B = 'rag-token-b-0123456789abcdefghij';
const C = 'rag-token-c-0123456789abcdefghij';
const RECHECK_WAIT_MS = 1200;

const k = kitPerTest('kit-token-races');

async function serve() {
  const dir = tempDir('kit-token-races-');
  const file = join(dir, 'client-tokens');
  writeFileSync(file, `rag ${A}\n`);
  const bodies: unknown[] = [];
  const socket = await k.serve({
    token: ADMIN,
    clientTokens: file,
    routes: {
      '/store': {
        method: 'POST',
        handle: async (ctx) => {
          bodies.push(await ctx.json());
          return { body: { stored: true, client: ctx.client } };
        },
      },
    },
  });
  const rewrite = async (text: string) => {
    writeFileSync(join(dir, 'new'), text);
    renameSync(join(dir, 'new'), file);
    await new Promise((r) => setTimeout(r, RECHECK_WAIT_MS));
  };
  return { socket, bodies, rewrite };
}

const request = (token: string, body: Buffer) =>
  `POST /store HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
  `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;

/**
 * Sends a request's head and half its body, runs `meanwhile`, then the rest and `after` (raw bytes
 * pipelined behind it); the status lines answered within 3 s.
 */
async function halfThenRest(socket: string, token: string, meanwhile: () => Promise<void>, after = '') {
  const body = Buffer.from(JSON.stringify({ first: 'x'.repeat(4000) }));
  const c = connect(socket);
  k.sockets.push(c);
  let got = '';
  c.on('data', (d: Buffer) => {
    got += d.toString('latin1');
  });
  c.on('error', () => undefined);
  c.write(request(token, body));
  c.write(body.subarray(0, body.length / 2));
  await new Promise((r) => setTimeout(r, 50));
  await meanwhile();
  c.write(Buffer.concat([body.subarray(body.length / 2), Buffer.from(after, 'latin1')]));
  await new Promise((r) => setTimeout(r, 3000));
  return got.match(/HTTP\/1\.1 \d{3} [^\r]*/g) ?? [];
}

const second = (token: string) => {
  const body = Buffer.from(JSON.stringify({ second: true }));
  return request(token, body) + body.toString('latin1');
};

describe('the mid-body token check under races', () => {
  it('rotated twice mid-body: 401, no body to the handler', async () => {
    const s = await serve();
    const statuses = await halfThenRest(s.socket, A, async () => {
      await s.rewrite(`rag ${B}\n`);
      await s.rewrite(`rag ${C}\n`);
    });
    expect(statuses).toEqual(['HTTP/1.1 401 Unauthorized']);
    expect(s.bodies).toEqual([]);
  });

  it('rotated away and back to the same token mid-body: 200 (the token names rag when the body is in)', async () => {
    const s = await serve();
    const statuses = await halfThenRest(s.socket, A, async () => {
      await s.rewrite(`rag ${B}\n`);
      await s.rewrite(`rag ${A}\n`);
    });
    expect(statuses).toEqual(['HTTP/1.1 200 OK']);
    expect(s.bodies).toHaveLength(1);
  });

  it('removed and its token given to another name mid-body: 401, not carried over to the new name', async () => {
    const s = await serve();
    const statuses = await halfThenRest(s.socket, A, () => s.rewrite(`other ${A}\n`));
    expect(statuses).toEqual(['HTTP/1.1 401 Unauthorized']);
    expect(s.bodies).toEqual([]);
  });

  it('a request pipelined behind one refused at its end is judged by its own head', async () => {
    const s = await serve();
    const withNew = await halfThenRest(s.socket, A, () => s.rewrite(`rag ${B}\n`), second(B));
    // The connection is kept (the refused body was read whole): the next request is answered.
    expect(withNew).toEqual(['HTTP/1.1 401 Unauthorized', 'HTTP/1.1 200 OK']);
    expect(s.bodies).toEqual([{ second: true }]);
    const withOld = await halfThenRest(s.socket, B, () => s.rewrite(`rag ${C}\n`), second(B));
    expect(withOld).toEqual(['HTTP/1.1 401 Unauthorized', 'HTTP/1.1 401 Unauthorized']);
    expect(s.bodies).toEqual([{ second: true }]);
  });

  it("the admin's token mid-body while the consumers' file changes: 200", async () => {
    const s = await serve();
    const statuses = await halfThenRest(s.socket, ADMIN, () => s.rewrite(''));
    expect(statuses).toEqual(['HTTP/1.1 200 OK']);
    expect(s.bodies).toHaveLength(1);
  });
});
