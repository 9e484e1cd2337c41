/**
 * `bpkg remove --purge CONSUMER` sends SIGUSR2 to a running provider once it listens (4393b5de):
 * SIGUSR2's default ends a process, and a provider still loading may not have its handler yet.
 * "Listens" was read as "its socket file is there"; a socket left by an earlier run that was
 * killed is there too while the new one loads, and was taken for it. Now the provider listens
 * when a connect to the socket is answered. The engine here is a stand-in (the container's state
 * and the signal are all the purge asks of it); test/rag/purge has the real one.
 */
import { linkSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { purgeConsumerData } from '../../src/core/services/consumer-purge.js';
import type { Engine } from '../../src/core/services/engine.js';
import { serviceDirs } from '../../src/core/services/policy.js';
import { providerRegistration } from '../helpers/provider-registration.js';
import { tempDir } from '../setup/temp-registry.js';

/** A registered provider `vec` taking purges, with its data folder; its socket's path. */
function boxWithProvider(): { root: string; socket: string; data: string } {
  const root = tempDir('bp-purge-stale-');
  const name = 'vec';
  const data = providerRegistration(root, name, { clientTokens: true, consumerPurge: true });
  const { socketDir } = serviceDirs(root, name);
  mkdirSync(socketDir, { recursive: true });
  return { root, socket: path.join(socketDir, 'api.sock'), data };
}

/** The engine: the container runs; a signal is recorded, and (as the provider would) applies the record. */
function runningEngine(data: string, signals: string[]): Engine {
  return {
    libpod: async (method: string, url: string) => {
      if (method === 'GET') return { Id: 'c0ffee', State: { Running: true, Pid: 0 }, HostConfig: {} };
      signals.push(new URL(url, 'http://x').searchParams.get('signal') ?? '');
      rmSync(path.join(data, 'purge.hello'), { force: true });
      return undefined;
    },
  } as unknown as Engine;
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});
const listen = (at: string) =>
  new Promise<Server>((resolve) => {
    const s = createServer((c) => c.destroy());
    servers.push(s);
    s.listen(at, () => resolve(s));
  });

it('a socket nobody answers on (left by a killed run) is not taken for a provider that listens: no signal', async () => {
  const { root, socket, data } = boxWithProvider();
  // A socket file with nothing behind it: bound, linked at the provider's name, then closed.
  const away = path.join(path.dirname(socket), 'old.sock');
  const s = await listen(away);
  linkSync(away, socket);
  await new Promise((r) => s.close(r));
  const signals: string[] = [];
  const asks = await purgeConsumerData(root, 'hello', () => runningEngine(data, signals), {
    confirmMs: 1_000,
  });
  expect(asks).toEqual([{ provider: 'vec', state: 'not-confirmed' }]);
  expect(signals).toEqual([]);
});

it('a provider answering on its socket is signalled, and the purge is done', async () => {
  const { root, socket, data } = boxWithProvider();
  await listen(socket);
  const signals: string[] = [];
  const asks = await purgeConsumerData(root, 'hello', () => runningEngine(data, signals), {
    confirmMs: 5_000,
  });
  expect(asks).toEqual([{ provider: 'vec', state: 'done' }]);
  expect(signals).toEqual(['SIGUSR2']);
});
