/**
 * The kit's budget for request bodies held at once (maxBufferedBytes) was first come, first served
 * for all clients: one client held all of it with a few large bodies uploaded slowly (each within
 * requestTimeoutMs, then again), and every other request with a body, any client's, got 503
 * "too many request bodies" meanwhile.
 *
 * Now bodies are charged per client (the client the request's token names, as in the fair queue;
 * no token is "anonymous") and a full budget gives way as the fair queue does: a client holding at
 * least twice the bytes of the one that needs room has its newest body still arriving refused
 * (503 + Retry-After, the connection closed as for 413), so the other client is answered.
 */
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Stub, stubServer } from '../kit/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

const ADMIN = 'admin-token-0123456789abcdef';
const RAG = 'rag-token-0123456789abcdefghij';
const EVIL = 'evil-token-0123456789abcdefghi';
const BODY = 1024 * 1024;

const stubs: Stub[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of stubs.splice(0)) await s.close();
});

async function serve(): Promise<Stub> {
  const file = join(tempDir('kit-body-clients-'), 'client-tokens');
  writeFileSync(file, `rag ${RAG}\nevil ${EVIL}\n`, { mode: 0o440 });
  // The budget fits three bodies at the limit: one client's three slow uploads fill it.
  const stub = await stubServer({ maxBodyBytes: BODY, maxBufferedBytes: 3 * BODY }, ADMIN, file);
  stubs.push(stub);
  return stub;
}

const until = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
};

/** A slow upload: all of a BODY-byte body but its last byte, then nothing (within the timeout). */
function slowUpload(stub: Stub, bearer: string, sent = BODY - 1) {
  const s = connect(stub.socket);
  sockets.push(s);
  let got = '';
  let closed = false;
  s.on('data', (c: Buffer) => {
    got += c.toString('latin1');
  });
  s.on('error', () => undefined);
  s.on('close', () => {
    closed = true;
  });
  s.write(
    `POST /work HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${bearer}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${BODY}\r\n\r\n`,
  );
  s.write(Buffer.alloc(sent, 0x20));
  return { answer: () => got, closed: () => closed };
}

/** A small JSON request on a fresh connection; its status line and headers. */
function small(stub: Stub, bearer: string): Promise<string> {
  return new Promise((done) => {
    const s = connect(stub.socket);
    sockets.push(s);
    let got = '';
    s.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      if (got.includes('\r\n\r\n') && /"echo"|"error"/.test(got)) done(got);
    });
    s.on('error', () => done(got));
    s.on('close', () => done(got));
    const body = JSON.stringify({ ms: 1, echo: 'rag' });
    s.write(
      `POST /work HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${bearer}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
  });
}

describe('attack: one client uploading slowly no longer holds the body budget against the others', () => {
  it("a consumer's three slow uploads fill the budget: rag's small JSON request is answered", async () => {
    const stub = await serve();
    const uploads = [slowUpload(stub, EVIL), slowUpload(stub, EVIL), slowUpload(stub, EVIL)];
    await until(() => stub.kit.stats().bufferedBytes >= 3 * (BODY - 1));
    expect(stub.kit.stats().bufferedBytes).toBe(3 * (BODY - 1));
    const answer = await small(stub, RAG);
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    expect(answer).toContain('"echo":"rag"');
    // The room came from the uploader's newest body: 503 with Retry-After, its connection closed.
    await until(() => uploads[2]!.closed());
    expect(uploads[2]!.answer()).toMatch(/^HTTP\/1\.1 503 /);
    expect(uploads[2]!.answer()).toMatch(/retry-after: 1\r\n/i);
    expect(uploads[2]!.answer()).toMatch(/connection: close\r\n/i);
    expect(uploads[2]!.closed()).toBe(true);
    // Its older uploads go on: nothing answered there, the connections open.
    expect(uploads[0]!.answer()).toBe('');
    expect(uploads[1]!.answer()).toBe('');
    expect(uploads[0]!.closed() || uploads[1]!.closed()).toBe(false);
  }, 30_000);

  it("the admin's slow uploads give way to a consumer too", async () => {
    const stub = await serve();
    for (let i = 0; i < 3; i++) slowUpload(stub, ADMIN);
    await until(() => stub.kit.stats().bufferedBytes >= 3 * (BODY - 1));
    expect((await small(stub, RAG)).split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
  }, 30_000);

  it('a client holding less than twice the bytes of the one asking is not pushed out: the asker gets 503', async () => {
    const stub = await serve();
    const evil = [slowUpload(stub, EVIL), slowUpload(stub, EVIL)];
    const rag = slowUpload(stub, RAG);
    await until(() => stub.kit.stats().bufferedBytes >= 3 * (BODY - 1));
    // evil holds 2 MiB, rag 1 MiB and asks for more: 2 MiB is not twice rag's, so rag waits.
    const answer = await small(stub, RAG);
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 503 Service Unavailable');
    expect(answer).toMatch(/retry-after: 1\r\n/i);
    for (const u of [...evil, rag]) expect(u.closed()).toBe(false);
  }, 30_000);

  it('a client that holds the budget itself is refused its next body, not given its own room', async () => {
    const stub = await serve();
    const uploads = [slowUpload(stub, EVIL), slowUpload(stub, EVIL), slowUpload(stub, EVIL)];
    await until(() => stub.kit.stats().bufferedBytes >= 3 * (BODY - 1));
    expect((await small(stub, EVIL)).split('\r\n')[0]).toBe('HTTP/1.1 503 Service Unavailable');
    for (const u of uploads) expect(u.closed()).toBe(false);
    expect(stub.kit.stats().bufferedBytes).toBe(3 * (BODY - 1));
  }, 30_000);
});
