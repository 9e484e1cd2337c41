/**
 * The health wait of `service start` (issue 20): probing begins with the start request, because a
 * service may listen before the engine answers it, but healthy is only reported once start has
 * answered. A real HTTP server on a real unix socket stands for the service; no engine is asked
 * (its exit checks begin only once start has answered, and start is never answered here
 * until the end).
 */
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEngine } from '../../src/core/services/engine.js';
import { waitHealthy } from '../../src/core/services/health.js';
import { serviceDirs } from '../../src/core/services/policy.js';
import type { LoadedRegistration } from '../../src/core/services/registry.js';
import { parseService } from '../../src/core/services/schema.js';
import { until } from '../helpers/until.js';
import { tempDir } from '../setup/temp-registry.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setUp() {
  const root = tempDir('bp-health-');
  const spec = parseService({
    network: 'loopback-socket',
    image: { archive: 'image.tar', id: `sha256:${'0'.repeat(64)}` },
    socket: { dir: '/run/t', file: 't.sock' },
    resources: { memory: '64m', cpus: 0.5, pids: 32 },
    health: { http: '/health', startTimeout: 20 },
  });
  const reg: LoadedRegistration = {
    name: 'healthwait',
    version: '1.0.0',
    prefix: '/opt/t',
    spec,
    approvals: { outboundNetwork: false },
    imageId: 'sha256:0',
  } as LoadedRegistration;
  const dir = serviceDirs(root, reg.name).socketDir;
  await mkdir(dir, { recursive: true });
  // An engine socket that does not exist: asking the engine would fail the wait.
  const deps = { root, engine: openEngine(path.join(root, 'no-engine.sock')) };
  let probes = 0;
  const server = http.createServer((req, res) => {
    if (req.url === '/health') probes++;
    res.writeHead(req.url === '/health' ? 200 : 404).end('{}');
  });
  cleanups.push(() => new Promise((r) => server.close(r)));
  const listen = () => new Promise<void>((r) => server.listen(path.join(dir, 't.sock'), r));
  return { deps, reg, listen, probes: () => probes };
}

/** Settles within `ms`, or says it did not. */
const within = (p: Promise<unknown>, ms: number) =>
  Promise.race([
    p.then(
      () => 'resolved',
      (e: Error) => `rejected: ${e.message}`,
    ),
    new Promise((r) => setTimeout(() => r('pending'), ms)),
  ]);

describe('service start: the health wait', () => {
  it('probes while start is on its way, and reports healthy only once start has answered', async () => {
    const { deps, reg, listen, probes } = await setUp();
    let answer!: () => void;
    const started = new Promise<void>((r) => {
      answer = r;
    });
    const waiting = waitHealthy(deps, reg, undefined, started);
    await new Promise((r) => setTimeout(r, 30));
    await listen(); // the service listens before the engine has answered the start request
    // It was asked, and answered 200 (waited for: before, it had to happen within the 300 ms below),
    // and still the wait goes on.
    await until('a health probe', () => probes() > 0);
    expect(await within(waiting, 300)).toBe('pending');
    expect(probes()).toBeGreaterThan(0);
    answer();
    expect(await within(waiting, 5000)).toBe('resolved');
  });

  it('a socket that appears later is found (its folder is watched, the schedule is the fallback)', async () => {
    const { deps, reg, listen, probes } = await setUp();
    const waiting = waitHealthy(deps, reg, undefined, Promise.resolve());
    await new Promise((r) => setTimeout(r, 150)); // past the 100 ms step of an absent socket
    expect(probes()).toBe(0); // no socket, nothing to ask
    await listen();
    expect(await within(waiting, 5000)).toBe('resolved');
    expect(probes()).toBe(1);
  });

  it('stops when its signal aborts (a failed start request), with that reason', async () => {
    const { deps, reg } = await setUp();
    const failed = new AbortController();
    const waiting = waitHealthy(deps, reg, failed.signal, new Promise(() => {}));
    failed.abort(new Error('start failed'));
    expect(await within(waiting, 5000)).toBe('rejected: start failed');
  });
});
