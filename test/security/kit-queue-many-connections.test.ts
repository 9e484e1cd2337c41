/**
 * One client with many connections against the kit's fair queue. The queue is fair per connection
 * (one FIFO each, round-robin), because a connection is the only client identity the kit has: the
 * module's token is one secret shared by every consumer, and a unix-socket peer's SO_PEERCRED (which
 * Node does not expose) is read in the server's own namespaces, where blueprint and every other
 * module, each in its own user and pid namespace, all show as uid and gid 65534 (the overflow id)
 * and pid 0. So a client may open enough connections to fill the queue's places, and others get 503
 * while it does (modules/kit/README.md, "Fairness"). What must hold is what this checks: /health is
 * answered, a refused client gets a prompt 503 with Retry-After on a connection it keeps (no hang,
 * no reset), and places freed by the flooding client's departure are handed to it at once (its
 * queued jobs are dropped, not run).
 */
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { post, type Stub, stubServer } from '../kit/helpers.js';

let stub: Stub | undefined;
const flood: Socket[] = [];
afterEach(async () => {
  for (const c of flood.splice(0)) c.destroy();
  await stub?.close();
  stub = undefined;
});

function call(socketPath: string, agent: Agent, method: string, path: string, body?: string) {
  return new Promise<{ status: number; headers: Record<string, unknown> }>((done, fail) => {
    const req = request(
      { socketPath, agent, method, path, headers: body ? { 'content-type': 'application/json' } : {} },
      (res) => {
        res.resume();
        res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers }));
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

describe('one client with many connections fills the fair queue', () => {
  it('/health is answered, another client gets a prompt 503 + Retry-After, then is served once the flood leaves', async () => {
    stub = await stubServer({ concurrency: 1, maxQueued: 8, maxQueuedPerConnection: 4 });
    // 9 connections of one client: one job running (long), 8 waiting: the queue is full.
    for (let i = 0; i < 9; i++) {
      const c = connect(stub.socket);
      c.on('error', () => undefined);
      c.write(post('/work', JSON.stringify({ ms: 1500, echo: 'flood' })));
      flood.push(c);
    }
    const until = Date.now() + 5000;
    while (stub.kit.stats().queued < 8 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(stub.kit.stats().queued).toBe(8);

    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await call(stub.socket, agent, 'GET', '/health')).status).toBe(200);
      const refused = await call(stub.socket, agent, 'POST', '/work', JSON.stringify({ ms: 1, echo: 'x' }));
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.headers.connection).toBe('keep-alive');

      // The flood leaves: its 8 waiting jobs are dropped (only the running one finishes first).
      for (const c of flood.splice(0)) c.destroy();
      const while0 = Date.now() + 5000;
      while (stub.kit.stats().queued > 0 && Date.now() < while0) await new Promise((r) => setTimeout(r, 10));
      expect(stub.kit.stats().queued).toBe(0);
      const served = await call(stub.socket, agent, 'POST', '/work', JSON.stringify({ ms: 1, echo: 'x' }));
      expect(served.status).toBe(200);
    } finally {
      agent.destroy();
    }
  }, 20_000);
});
