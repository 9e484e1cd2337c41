/**
 * The kit's fair queue takes turns between clients, not connections, once a client is known by
 * its own token. Blueprint gives each consumer of a provider its own token (a `NAME TOKEN` line in
 * the provider's `client-tokens` file, src/core/services/client-tokens.ts); the kit reads it and
 * names each request's client: "admin" for the admin's token, the consumer's name for its own.
 *
 * The attack: a client (the admin's token, no token where the admin set none, or another consumer's
 * own token) opens many connections, each asking for heavy work, and so fills the queue's places;
 * rag, known by its own token, used to get 503 until it left (kit-queue-many-connections).
 * Now the client holding the most places gives one up (its newest waiting request gets the 503), so
 * rag is answered. And a consumer's token is refused (401) by a provider it did not declare.
 */
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { post, type Stub, stubServer } from '../kit/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

const ADMIN = 'admin-token-0123456789abcdef';
const RAG = 'rag-token-0123456789abcdefghij';
const EVIL = 'evil-token-0123456789abcdefghi';

const stubs: Stub[] = [];
const flood: Socket[] = [];
afterEach(async () => {
  for (const c of flood.splice(0)) c.destroy();
  for (const s of stubs.splice(0)) await s.close();
});

function tokensFile(lines: string): string {
  const file = join(tempDir('kit-clients-'), 'client-tokens');
  writeFileSync(file, lines, { mode: 0o440 });
  return file;
}

async function serve(token: string | undefined, file: string): Promise<Stub> {
  const stub = await stubServer({ concurrency: 1, maxQueued: 8, maxQueuedPerConnection: 4 }, token, file);
  stubs.push(stub);
  return stub;
}

function call(socketPath: string, agent: Agent, bearer: string | undefined, body: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; text: string }>((done, fail) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    const req = request({ socketPath, agent, method: 'POST', path: '/work', headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
      });
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

/** 9 connections of one client, each asking for 1.5 s of work: one runs, 8 wait, the queue is full. */
async function fill(stub: Stub, bearer: string | undefined): Promise<string[]> {
  const answers: string[] = [];
  for (let i = 0; i < 9; i++) {
    const c = connect(stub.socket);
    c.on('error', () => undefined);
    c.on('data', (d: Buffer) => answers.push(d.toString('latin1')));
    const auth = bearer ? `Authorization: Bearer ${bearer}\r\n` : '';
    c.write(post('/work', JSON.stringify({ ms: 1500, echo: 'flood' }), auth));
    flood.push(c);
  }
  const until = Date.now() + 5000;
  while (stub.kit.stats().queued < 8 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  expect(stub.kit.stats().queued).toBe(8);
  return answers;
}

async function ragIsServed(stub: Stub) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const r = await call(stub.socket, agent, RAG, JSON.stringify({ ms: 1, echo: 'rag' }));
    expect(r.status, r.text).toBe(200);
    expect(JSON.parse(r.text).echo).toBe('rag');
  } finally {
    agent.destroy();
  }
}

describe('attack: one client with many connections no longer starves a consumer known by its token', () => {
  it('the admin token on 9 connections: rag is answered; the flood gives up a place (a prompt 503)', async () => {
    const stub = await serve(ADMIN, tokensFile(`rag ${RAG}\n`));
    const answers = await fill(stub, ADMIN);
    await ragIsServed(stub);
    // The place rag got was taken from the flood's newest waiting request, answered 503 at once.
    expect(answers.some((a) => a.startsWith('HTTP/1.1 503'))).toBe(true);
  }, 30_000);

  it('no token on 9 connections, where the admin set none: rag (its own token) is answered', async () => {
    const stub = await serve(undefined, tokensFile(`rag ${RAG}\n`));
    await fill(stub, undefined);
    await ragIsServed(stub);
  }, 30_000);

  it("another consumer's own token on 9 connections: rag is answered", async () => {
    const stub = await serve(ADMIN, tokensFile(`evil ${EVIL}\nrag ${RAG}\n`));
    await fill(stub, EVIL);
    await ragIsServed(stub);
  }, 30_000);

  it('a client that holds no more places than the one asking is not pushed out: the asker gets 503', async () => {
    const stub = await serve(ADMIN, tokensFile(`rag ${RAG}\n`));
    await fill(stub, ADMIN);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // The admin, already holding every place, asks again on a new connection: refused, not served.
      const r = await call(stub.socket, agent, ADMIN, JSON.stringify({ ms: 1, echo: 'more' }));
      expect(r.status).toBe(503);
      expect(r.headers['retry-after']).toBe('1');
    } finally {
      agent.destroy();
    }
  }, 30_000);
});

describe("attack: a consumer's token opens only the provider it declared", () => {
  it("rag's token for llm is refused (401) by vectors, which rag did not declare; wrong and missing tokens too", async () => {
    // Blueprint writes each provider the tokens of the consumers that declared it, and no others.
    const llm = await serve(ADMIN, tokensFile(`rag ${RAG}\n`));
    const vectors = await serve(ADMIN, tokensFile(`other ${EVIL}\n`));
    const agent = new Agent({ keepAlive: false });
    try {
      const body = JSON.stringify({ ms: 1, echo: 'x' });
      expect((await call(llm.socket, agent, RAG, body)).status).toBe(200);
      expect((await call(vectors.socket, agent, RAG, body)).status).toBe(401);
      expect((await call(llm.socket, agent, `${RAG}x`, body)).status).toBe(401);
      expect((await call(llm.socket, agent, undefined, body)).status).toBe(401);
      expect((await call(llm.socket, agent, ADMIN, body)).status).toBe(200);
    } finally {
      agent.destroy();
    }
  }, 30_000);
});
