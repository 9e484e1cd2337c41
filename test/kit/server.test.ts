import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { healthLatency, idleConnections } from '../embeddings/served.js';
import { until } from '../helpers/until.js';
import { post, rawExchange, type Stub, stubServer } from './helpers.js';

// The kit in-process, with a stub heavy handler in a real worker thread (issue 14).
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let stub: Stub | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

function work(socketPath: string, body: unknown, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((done, fail) => {
    const req = request(
      {
        socketPath,
        method: 'POST',
        path: '/work',
        headers: { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', fail);
    req.end(JSON.stringify(body));
  });
}

describe('the module server kit', () => {
  it('keeps /health answerable past the connection cap, closing the least recently active idle ones', async () => {
    stub = await stubServer({ maxConnections: 100 });
    const idle = await idleConnections(stub.socket, 150);
    try {
      expect(await healthLatency(stub.socket)).toBeLessThan(2000);
      expect(stub.kit.stats().connections).toBeLessThanOrEqual(100);
      expect(stub.kit.stats().evicted).toBeGreaterThanOrEqual(50);
      expect((await work(stub.socket, { echo: 'in' })).status).toBe(200);
      expect(stub.logged.join('')).toMatch(/connection cap 100 reached/);
    } finally {
      for (const c of idle) c.destroy();
    }
  });

  it('closes slow clients in seconds: a silent connection, a partial head, a partial body', async () => {
    stub = await stubServer({ headersTimeoutMs: 500, requestTimeoutMs: 1500 });
    const closedAfter = (bytes: string) =>
      new Promise<number>((done) => {
        const t0 = Date.now();
        const c = connect(stub!.socket);
        c.on('error', () => undefined);
        c.on('close', () => done(Date.now() - t0));
        c.resume(); // read the 408, or 'close' never comes
        if (bytes) c.write(bytes);
      });
    const [silent, head, body] = await Promise.all([
      closedAfter(''),
      closedAfter('POST /work HTTP/1.1\r\nHost: x\r\n'),
      closedAfter('POST /work HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"echo":'),
    ]);
    expect(silent).toBeLessThan(1500);
    expect(head).toBeLessThan(1500);
    expect(body).toBeGreaterThanOrEqual(1400);
    expect(body).toBeLessThan(3000);
  });

  it('answers /health within 100 ms while the worker is busy for 1.5 s', async () => {
    stub = await stubServer();
    let done = false;
    const heavy = work(stub.socket, { ms: 1500, echo: 'heavy' }).finally(() => {
      done = true;
    });
    await sleep(100);
    const latencies: number[] = [];
    while (!done) {
      latencies.push(await healthLatency(stub.socket));
      await sleep(50);
    }
    expect(JSON.parse((await heavy).body)).toEqual({ echo: 'heavy', vector: [1, 2, 3] });
    expect(latencies.length).toBeGreaterThanOrEqual(5);
    latencies.sort((a, b) => a - b);
    expect(latencies[Math.floor(latencies.length / 2)]).toBeLessThan(100);
  });

  it('serves connections round-robin: a pipelined flood does not starve another client', async () => {
    stub = await stubServer({ maxQueued: 16, maxQueuedPerConnection: 4 });
    const flood = rawExchange(
      stub.socket,
      Array.from({ length: 40 }, (_, i) => post('/work', JSON.stringify({ ms: 30, echo: `f${i}` }))).join(''),
      4000,
    );
    await sleep(60);
    const t0 = Date.now();
    const other = await work(stub.socket, { ms: 30, echo: 'other' });
    expect(other.status).toBe(200);
    // Behind at most the flood's running job and one turn of it, not behind its 40 requests.
    expect(Date.now() - t0).toBeLessThan(600);
    const answers = await flood;
    expect(answers.match(/HTTP\/1\.1 200/g)?.length).toBeGreaterThanOrEqual(4);
    expect(answers).toMatch(/HTTP\/1\.1 503[\s\S]*retry-after: 1/i);
  });

  it('refuses an oversized body with 413 before reading it, and counts chunked ones', async () => {
    stub = await stubServer({ maxBodyBytes: 1000 });
    const declared = await rawExchange(
      stub.socket,
      'POST /work HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n{',
    );
    expect(declared).toMatch(/^HTTP\/1\.1 413 [\s\S]*connection: close[\s\S]*over 1000 bytes/i);
    const chunk = JSON.stringify({ echo: 'x'.repeat(3000) });
    const chunked = await rawExchange(
      stub.socket,
      `POST /work HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n`,
    );
    expect(chunked).toMatch(/^HTTP\/1\.1 413 /);
  });

  it('charges request bodies to a shared budget: over it, 503', async () => {
    stub = await stubServer({ maxBodyBytes: 10_000, maxBufferedBytes: 12_000 });
    // One slow upload holds 8 KB; a second one would go over the budget.
    const slow = connect(stub.socket);
    slow.on('error', () => undefined);
    slow.write(
      `POST /work HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9000\r\n\r\n${'{"echo":"'.padEnd(8000, 'a')}`,
    );
    // The server holds its 8 KB (before: a 100 ms sleep, which a loaded machine outran).
    await until('the slow upload is charged', () => stub!.kit.stats().bufferedBytes >= 8000);
    const second = await work(stub.socket, { echo: 'b'.repeat(6000) });
    expect(second.status).toBe(503);
    expect(second.headers['retry-after']).toBe('1');
    slow.destroy();
    await until('the closed upload is no longer charged', () => stub!.kit.stats().bufferedBytes === 0);
    expect((await work(stub.socket, { echo: 'b'.repeat(6000) })).status).toBe(200);
  });

  it('refuses invalid UTF-8 with 400 and skips a leading BOM', async () => {
    stub = await stubServer();
    const bad = Buffer.concat([Buffer.from('{"echo": "a'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const head = `POST /work HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${bad.length}\r\n\r\n`;
    expect(await rawExchange(stub.socket, Buffer.concat([Buffer.from(head), bad]))).toMatch(
      /^HTTP\/1\.1 400 [\s\S]*not valid UTF-8/,
    );
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"echo": "bom"}')]);
    const head2 = head.replace(`${bad.length}`, `${bom.length}`);
    expect(await rawExchange(stub.socket, Buffer.concat([Buffer.from(head2), bom]))).toMatch(
      /^HTTP\/1\.1 200 [\s\S]*"echo":"bom"/,
    );
  });

  it('logs a client that leaves as such, and drops its queued work', async () => {
    stub = await stubServer();
    // Each step waits until the server has the one before (before: sleeps of 50 and 100 ms), and
    // the busy one outlasts them on a loaded machine too.
    const busy = work(stub.socket, { ms: 3_000, echo: 'busy' });
    await until('the busy one runs', () => stub!.kit.stats().running === 1);
    const leaver = connect(stub.socket);
    leaver.write(post('/work', JSON.stringify({ ms: 1000, echo: 'never' })));
    await until('the leaver is queued', () => stub!.kit.stats().queued === 1);
    leaver.destroy();
    await busy;
    const left = /POST \/work: client closed the connection before the answer/;
    await until('the leaver is logged', () => left.test(stub!.logged.join('')));
    const text = stub.logged.join('');
    expect(text).not.toMatch(/internal error/);
    expect(stub.kit.stats().queued).toBe(0);
  });

  it('restarts a worker that dies: the job in it gets 503, the next one is served', async () => {
    stub = await stubServer();
    const crashed = await work(stub.socket, { crash: true });
    expect(crashed.status).toBe(503);
    for (let i = 0; i < 100 && !stub.pool.healthy(); i++) await sleep(50);
    expect((await work(stub.socket, { echo: 'after' })).status).toBe(200);
    expect(stub.logged.join('')).toMatch(/worker exited with 3; restarting it/);
  });

  it('requires the token on routes but never on /health, in the module error shape', async () => {
    stub = await stubServer({}, 'a-token-of-enough-length');
    expect(await healthLatency(stub.socket)).toBeLessThan(2000);
    const none = await work(stub.socket, { echo: 'x' });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect(JSON.parse(none.body)).toEqual({
      error: { message: expect.stringMatching(/token/), status: 401 },
    });
    const ok = await work(stub.socket, { echo: 'x' }, { authorization: 'Bearer a-token-of-enough-length' });
    expect(ok.status).toBe(200);
  });

  it('drains: finishes the running job, refuses new connections, then closes', async () => {
    stub = await stubServer();
    const running = work(stub.socket, { ms: 300, echo: 'last' });
    await until('the job runs', () => stub!.kit.stats().running === 1); // before: a 50 ms sleep
    const drained = stub.kit.drain(5000);
    await sleep(20);
    expect(await healthLatency(stub.socket, 500)).toBe(Number.POSITIVE_INFINITY);
    expect((await running).status).toBe(200);
    await drained;
    expect(stub.kit.server.listening).toBe(false);
  });
});
