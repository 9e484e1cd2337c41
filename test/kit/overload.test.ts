import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../helpers/until.js';
import { type Stub, stubServer } from './helpers.js';

// Overload as a keep-alive client sees it (scripts/bench/kit.mjs at 64 clients): a refusal must not
// cost a reconnect, or refused clients would make a connect storm on top of the load.
let stub: Stub | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

function work(socketPath: string, agent: Agent | false, ms: number) {
  return new Promise<{ status: number; headers: Record<string, unknown>; reused: boolean }>((done, fail) => {
    const req = request(
      { socketPath, agent, method: 'POST', path: '/work', headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () =>
          done({ status: res.statusCode ?? 0, headers: res.headers, reused: req.reusedSocket }),
        );
      },
    );
    req.on('error', fail);
    req.end(JSON.stringify({ ms, echo: 'x' }));
  });
}

describe('the kit under overload', () => {
  it('answers a refused keep-alive client with 503 + Retry-After on the same connection, which then serves it', async () => {
    stub = await stubServer({ concurrency: 1, maxQueued: 1 });
    let accepted = 0;
    stub.kit.server.on('connection', () => accepted++);
    // The running one outlasts the steps below on a loaded machine too; each step waits until the
    // server has the one before (before: 50 ms sleeps, and 300 ms of work).
    const running = work(stub.socket, false, 3_000);
    await until('the first request runs', () => stub!.kit.stats().running === 1);
    const queued = work(stub.socket, false, 10);
    await until('the second request is queued', () => stub!.kit.stats().queued === 1);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const refused = await work(stub.socket, agent, 10);
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.headers.connection).toBe('keep-alive');
      expect((await running).status).toBe(200);
      expect((await queued).status).toBe(200);
      const again = await work(stub.socket, agent, 10);
      expect(again.status).toBe(200);
      expect(again.reused).toBe(true);
      expect(accepted).toBe(3); // the two others and this client's one connection
    } finally {
      agent.destroy();
    }
  });
});
