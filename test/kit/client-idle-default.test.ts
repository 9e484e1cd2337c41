/**
 * The kit's client (modules/kit/client/unix-http.ts) keeps an idle connection by default just
 * under the kit server's keep-alive, both from modules/kit/server/keep-alive.ts so they cannot
 * drift: against a kit server with its default limits, a client made without `idleMs` asks again
 * after an idle pause longer than its former 2 s default on the same connection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { UnixHttpClient } from '../../modules/kit/client/unix-http.js';
import { defaultLimits } from '../../modules/kit/server/index.js';
import { CLIENT_IDLE_MS, KEEP_ALIVE_MS } from '../../modules/kit/server/keep-alive.js';
import { type Stub, stubServer } from './helpers.js';

let stub: Stub | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

describe("the kit client's idle default", () => {
  it('is the shared constant, just under the server keep-alive', () => {
    expect(defaultLimits().keepAliveTimeoutMs).toBe(KEEP_ALIVE_MS);
    expect(CLIENT_IDLE_MS).toBeLessThan(KEEP_ALIVE_MS);
    expect(CLIENT_IDLE_MS).toBeGreaterThanOrEqual(KEEP_ALIVE_MS - 5_000);
  });

  it('keeps an idle connection past 2 s to a kit server with default limits', {
    timeout: 20_000,
  }, async () => {
    stub = await stubServer();
    const client = new UnixHttpClient({ socketPath: stub.socket });
    try {
      const first = await client.request({ method: 'GET', path: '/health', timeoutMs: 5_000 });
      expect(first.status).toBe(200);
      await new Promise((r) => setTimeout(r, 2_500));
      expect(client.connections).toBe(1);
      const second = await client.request({ method: 'GET', path: '/health', timeoutMs: 5_000 });
      expect(second.status).toBe(200);
      expect(stub.kit.stats().connections).toBe(1);
      expect(client.connections).toBe(1);
    } finally {
      client.close();
    }
  });
});
