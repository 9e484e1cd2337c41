import { readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/until.js';
import { call } from './helpers.js';
import { bundle, healthLatency, idleConnections, rawRequest, type Served, serve } from './served.js';

// Issue 14, at a small scale: the service as the container runs it (bundle, nofile 1024, tiny BERT)
// under the loads and faults that broke it. Each test bounds its own time and connections.
let file: string;
const running: Served[] = [];
const start = async (env: Record<string, string> = {}) => {
  const s = await serve(file, env);
  running.push(s);
  return s;
};

beforeAll(async () => {
  file = await bundle();
});
afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
  if (file) rmSync(dirname(file), { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const embedRequest = (inputs: unknown) => {
  const body = JSON.stringify({ inputs, truncate: true });
  return `POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
};

describe('the embeddings service under load and faults (issue 14)', () => {
  it('finding 1: answers /health after 1,100 idle connections, with nofile 1024', async () => {
    const s = await start();
    // The service has the container's limit; this process needs room for 1,100 client sockets.
    const nofile = (pid: number | 'self') =>
      Number(/^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))?.[1]);
    expect(nofile(s.pid)).toBe(1024);
    expect(nofile('self'), 'raise the hard open-file limit of the test process (ulimit -Hn)').toBeGreaterThan(
      1300,
    );
    const idle = await idleConnections(s.socket, 1100);
    try {
      expect(await healthLatency(s.socket)).toBeLessThan(2000);
      const r = await call(s.socket, 'POST', '/embed', { inputs: 'still serving' });
      expect(r.status).toBe(200);
    } finally {
      for (const c of idle) c.destroy();
    }
  });

  it('finding 1: a burst of 1,100 connects while the service is not scheduled waits its turn, none refused', async () => {
    // What made the case above fail now and then on a loaded box: connects came faster than the
    // service accepted them, the listen queue (Node's default 511) filled, and the next connect,
    // /health's, was refused at once (EAGAIN). Stopping the process makes that slow box certain.
    const s = await start();
    process.kill(s.pid, 'SIGSTOP');
    let idle: Awaited<ReturnType<typeof idleConnections>> = [];
    try {
      idle = await idleConnections(s.socket, 1100);
    } finally {
      process.kill(s.pid, 'SIGCONT');
    }
    try {
      expect(idle.filter((c) => c.errored).length).toBe(0);
      expect(await healthLatency(s.socket)).toBeLessThan(2000);
    } finally {
      for (const c of idle) c.destroy();
    }
  });

  it('finding 1: closes a connection that sends nothing within seconds, not minutes', async () => {
    const s = await start();
    const [c] = await idleConnections(s.socket, 1);
    const t0 = Date.now();
    await new Promise((r) => c!.once('close', r));
    expect(Date.now() - t0).toBeLessThan(9000);
  }, 20_000);

  it('finding 2: a request of 4 MB or more in flight leaves /health answering within 100 ms', async () => {
    // Let 1M-character inputs through the early refusal, to show the work is off the event loop.
    // How many is measured, not fixed: four took ~1 s on the 2-core development VM, so a machine
    // four times faster (the project's CI is faster) would finish them before the three probes
    // asked for below. One input is timed first; the request has enough inputs for ~1 s of it
    // (at least the four of before), with no cap: the body limit is raised to fit them.
    const input = (i: number) => `${'word '.repeat(200_000)}${i}`;
    const unit = await start({ EMBEDDINGS_MAX_INPUT_CHARS: '1100000' });
    await call(unit.socket, 'POST', '/embed', { inputs: [input(0)], truncate: true }); // warm
    const t0 = performance.now();
    expect((await call(unit.socket, 'POST', '/embed', { inputs: [input(1)], truncate: true })).status).toBe(
      200,
    );
    const unitMs = performance.now() - t0;
    const count = Math.max(4, Math.ceil(1000 / unitMs));
    const s = await start({
      EMBEDDINGS_MAX_INPUT_CHARS: '1100000',
      EMBEDDINGS_MAX_BATCH: String(Math.max(64, count)),
      EMBEDDINGS_MAX_BODY_BYTES: String(Math.max(4 * 1024 * 1024, (count + 1) * 1_000_100)),
      EMBEDDINGS_MAX_BUFFERED_BYTES: String(Math.max(32 * 1024 * 1024, 2 * (count + 1) * 1_000_100)),
    });
    console.log(`one 1M-character input: ${unitMs.toFixed(0)} ms; ${count} inputs`);
    const big = Array.from({ length: count }, (_, i) => input(i));
    let done = false;
    const heavy = call(s.socket, 'POST', '/embed', { inputs: big, truncate: true }).finally(() => {
      done = true;
    });
    await sleep(150); // the body is in: tokenising is under way
    const latencies: number[] = [];
    while (!done && latencies.length < 20) {
      latencies.push(await healthLatency(s.socket));
      await sleep(20);
    }
    expect((await heavy).status).toBe(200);
    expect(latencies.length).toBeGreaterThanOrEqual(3); // it was in flight while /health was asked
    latencies.sort((a, b) => a - b);
    expect(latencies[Math.floor(latencies.length / 2)]).toBeLessThan(100);
    expect(latencies.at(-1)).toBeLessThan(500); // the box is shared: one late probe is scheduling
  }, 60_000);

  it('finding 2: refuses an input too long to serve quickly with 413, at once', async () => {
    const s = await start();
    const t0 = Date.now();
    const r = await call(s.socket, 'POST', '/embed', { inputs: ['word '.repeat(200_000)], truncate: true });
    expect(r.status).toBe(413);
    expect(JSON.stringify(r.body)).toMatch(/characters/);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('finding 3: a pipelined flood from one connection does not starve a second client', async () => {
    const s = await start({ EMBEDDINGS_MAX_QUEUE: '8' });
    const flood = connect(s.socket);
    let floodAnswers = '';
    flood.on('data', (c: Buffer) => {
      floodAnswers += c.toString('latin1');
    });
    flood.on('error', () => undefined);
    await new Promise((r) => flood.once('connect', r));
    flood.write(
      Array.from({ length: 100 }, (_, i) =>
        embedRequest(Array.from({ length: 32 }, (_, j) => `flood ${i} ${j} ${'many words '.repeat(60)}`)),
      ).join(''),
    );
    await sleep(50);
    const other = await call(s.socket, 'POST', '/embed', { inputs: 'second client' });
    expect(other.status).toBe(200);
    // The flood was served too, in its turn (waited for, at most 30 s: before, a 500 ms sleep, in
    // which a loaded machine may not have embedded the flood's first).
    await until('the flood answered', () => /^HTTP\/1\.1 200 /.test(floodAnswers));
    flood.destroy();
    expect(floodAnswers).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('finding 4: rate-limits repeated lines, and the start-up lines survive an overload', async () => {
    const s = await start({ EMBEDDINGS_MAX_QUEUE: '1', KIT_LOG_RECORD_EVERY_BYTES: '2048' });
    const before = s.log().length;
    // 64 clients at once, repeatedly: most get 503.
    let refused = 0;
    for (let round = 0; round < 8; round++) {
      const replies = await Promise.all(
        Array.from({ length: 64 }, (_, i) => call(s.socket, 'POST', '/embed', { inputs: [`x ${i}`, 'y'] })),
      );
      refused += replies.filter((r) => r.status === 503).length;
      for (const r of replies.filter((r) => r.status === 503)) expect(r.headers['retry-after']).toBeDefined();
    }
    expect(refused).toBeGreaterThan(100);
    const during = s.log().slice(before);
    expect(during.split('\n').filter((l) => /503|busy/.test(l)).length).toBeLessThan(10);
    // A log cap keeps only the tail: the start-up record must be in it.
    const tail = s.log().slice(-4096);
    expect(tail).toMatch(/no access token/);
    expect(tail).toMatch(/serving tiny-bert/);
  }, 60_000);

  it('finding 8: refuses invalid UTF-8 and lone surrogates, accepts a BOM, logs a client that leaves', async () => {
    const s = await start();
    const bad = Buffer.concat([Buffer.from('{"input": "abc '), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const r1 = await rawRequest(s.socket, 'POST /v1/embeddings HTTP/1.1', bad);
    expect(r1.status).toBe(400);
    expect(r1.body).toMatch(/UTF-8/);
    const r2 = await rawRequest(s.socket, 'POST /embed HTTP/1.1', Buffer.from('{"inputs": "a \\ud800 b"}'));
    expect(r2.status).toBe(422);
    expect(r2.body).toMatch(/surrogate/);
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"input": "with a BOM"}')]);
    expect((await rawRequest(s.socket, 'POST /v1/embeddings HTTP/1.1', bom)).status).toBe(200);
    // A client that sends half a body and leaves.
    const gone = connect(s.socket);
    await new Promise((r) => gone.once('connect', r));
    gone.write(
      'POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"input": "',
    );
    await sleep(100);
    gone.destroy();
    // Waited for, at most 30 s (before: a 300 ms sleep).
    await until('the client gone logged', () => /client closed the connection/.test(s.log()));
    expect(s.log()).not.toMatch(/internal error/);
    expect(s.log()).toMatch(/client closed the connection/);
  });

  it('drains on SIGTERM: the request in flight is answered, then the service exits 0', async () => {
    const s = await start({ EMBEDDINGS_MAX_INPUT_CHARS: '1100000' });
    const big = Array.from({ length: 2 }, (_, i) => `${'word '.repeat(100_000)}${i}`);
    // In flight: its 1 MB body written whole, far more than the socket holds, so the service is
    // reading it (before: a 150 ms sleep; a loaded machine may not have taken the connection yet,
    // and the drain closes a connection with no request).
    let heavy!: ReturnType<typeof call>;
    await new Promise<void>((sent) => {
      heavy = call(s.socket, 'POST', '/embed', { inputs: big, truncate: true }, {}, sent);
    });
    process.kill(s.pid, 'SIGTERM');
    expect((await heavy).status).toBe(200);
    expect(await s.exited).toBe(0);
    expect(s.log()).toMatch(/SIGTERM: finishing open requests/);
  }, 30_000);
});
