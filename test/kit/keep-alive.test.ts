/**
 * The kit server's idle keep-alive (modules/kit/server/limits.ts keepAliveTimeoutMs): a client
 * asking every few tens of seconds (a person at rag's chat, the dashboard, an agent, rag's own
 * connections to embeddings and vectors) keeps its connection, and the idle connections this lets
 * live cannot crowd anyone out: they hold no place in the fair queue, and at the connection cap
 * the least recently active idle one is closed for each new connection, so an attacker who opens
 * idle connections only closes its own older ones (and other clients' idle ones, which reconnect).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { defaultLimits } from '../../modules/kit/server/index.js';
import { type RawConnection, rawConnection, soon } from '../helpers/raw-connection.js';
import { post, type Stub, stubServer } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const health = 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n';

let stub: Stub | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

describe('kit keep-alive', () => {
  it('keeps an idle connection past 5 s and says how long in its answers', { timeout: 20_000 }, async () => {
    stub = await stubServer();
    const c = rawConnection(stub.socket);
    c.s.write(health);
    await soon(() => c.answers === 1);
    // Idle past Node's default 5 s (and the kit's former one) plus a sweep's second.
    await sleep(6_500);
    expect(c.closed).toBe(false);
    c.s.write(health);
    await soon(() => c.answers === 2 || c.closed);
    expect(c.answers).toBe(2);
    expect(stub.kit.stats().connections).toBe(1);
    // Each answer says it (undici keeps its side a second less than this).
    expect(c.got).toMatch(/keep-alive: timeout=60\r\n/);
    expect(defaultLimits().keepAliveTimeoutMs).toBe(60_000);
    c.s.destroy();
  });

  it('closes an idle connection after keepAliveTimeoutMs, counted from its last answer', async () => {
    stub = await stubServer({ keepAliveTimeoutMs: 1_000 });
    const c = rawConnection(stub.socket);
    // The answer ends ~600 ms after the request: the keep-alive starts then, not at the request.
    c.s.write(post('/work', '{"ms":600}'));
    await soon(() => c.answers === 1);
    const answered = Date.now();
    await soon(() => c.closed, 4000);
    const idle = Date.now() - answered;
    expect(idle).toBeGreaterThanOrEqual(1_000);
    expect(idle).toBeLessThan(2_600); // the sweep runs every second
  });

  it('idle connections hold no place in the fair queue', async () => {
    stub = await stubServer({ maxQueued: 1, maxQueuedPerConnection: 1 });
    const idle = Array.from({ length: 8 }, () => rawConnection(stub!.socket));
    for (const c of idle) c.s.write(post('/work', '{"echo":"a"}'));
    for (const c of idle) await soon(() => c.answers === 1);
    expect(stub.kit.stats()).toMatchObject({ connections: 8, queued: 0, running: 0 });
    // With one place in the queue, a new client's work is run, not refused with 503.
    const c = rawConnection(stub.socket);
    c.s.write(post('/work', '{"echo":"b","ms":50}'));
    await soon(() => c.answers === 1);
    expect(c.got).toMatch(/^HTTP\/1\.1 200/);
    expect(c.got).toContain('"echo":"b"');
    for (const x of [...idle, c]) x.s.destroy();
  });

  it('at the cap, idle connections an attacker opens close its own, never a client waiting for its work', async () => {
    stub = await stubServer({ maxConnections: 4 });
    // A client whose request is running (700 ms of work): it holds work, so it is never closed.
    const busy = rawConnection(stub.socket);
    busy.s.write(post('/work', '{"echo":"busy","ms":700}'));
    await soon(() => stub!.kit.stats().running === 1);
    // A client that asked once and keeps its connection for the next question.
    const kept = rawConnection(stub.socket);
    kept.s.write(health);
    await soon(() => kept.answers === 1);
    // The attacker: connections that never send a thing, many more than the cap.
    const attacker: RawConnection[] = [];
    for (let i = 0; i < 12; i++) {
      attacker.push(rawConnection(stub.socket));
      await sleep(15);
    }
    await soon(() => stub!.kit.stats().connections <= 4);
    expect(stub.kit.stats().connections).toBe(4);
    // Each new connection closed the least recently active idle one: the kept-alive client's first
    // (it reconnects), then the attacker's oldest; the busy client is still there and gets its answer.
    expect(busy.closed).toBe(false);
    await soon(() => busy.answers === 1);
    expect(busy.got).toContain('"echo":"busy"');
    expect(kept.closed).toBe(true);
    // 14 connections for 4 places: 10 closed, the kept-alive one and the attacker's 9 oldest.
    expect(attacker.filter((a) => a.closed).length).toBe(9);
    expect(attacker.slice(9).every((a) => !a.closed)).toBe(true);
    expect(stub.kit.stats().evicted).toBe(10);
    // A newcomer at the cap is let in and served (its /health included).
    const newcomer = rawConnection(stub.socket);
    newcomer.s.write(health);
    await soon(() => newcomer.answers === 1);
    expect(newcomer.got).toMatch(/^HTTP\/1\.1 200/);
    expect(stub.logged.join('\n')).toMatch(/connection cap 4 reached: closed an idle connection/);
    for (const x of [busy, kept, newcomer, ...attacker]) x.s.destroy();
  });
});
