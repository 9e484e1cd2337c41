import { createHook } from 'node:async_hooks';
import { readFileSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { chooseSocket, openEngine } from '../../src/core/services/engine.js';
import { healthPollDelay, inspectContainer } from '../../src/core/services/lifecycle.js';
import { observe, type RestartRecord } from '../../src/core/services/restarts.js';
import { layout } from '../../src/core/system/paths.js';
import { type ProxiedBox, proxiedBox } from './engine-proxy.js';
import { podman, uniqueName } from './helpers.js';

// The engine calls of `service start` (issue 20: fewer round trips on the start path), counted by a
// proxy on a unix socket in front of the real Podman API: the box talks to it through CONTAINER_HOST.
let setup: ProxiedBox;
const calls: string[] = [];
/** Looks at each request as it reaches the proxy; true: answer it with a 500 instead of Podman. */
let intercept: (req: http.IncomingMessage) => boolean = () => false;
const name = uniqueName('bpt-startpath');

beforeAll(async () => {
  setup = await proxiedBox(
    [name],
    (b) => b.install(name),
    (req, res) => {
      calls.push(`${req.method} ${req.url}`);
      if (!intercept(req)) return false;
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: 'refused by the test proxy' }));
      return true;
    },
  );
}, 120_000);

afterAll(() => setup?.cleanup());

describe('service start: engine round trips', () => {
  it('asks the container state once: admission and start share the inspect', async () => {
    const env = setup.proxy.env;
    const services = openBox(setup.box.root, { env }).services;
    calls.length = 0;
    const r = await services.start(name);
    expect(r.healthy).toBe(true);
    const isInspect = (c: string) => c.startsWith(`GET /v4.0.0/libpod/containers/blueprint-${name}/json`);
    // Up to the start request: one inspect, shared by admission and start. (While health is awaited
    // after it, waitHealthy asks whether the container exited every 200 ms: on a loaded machine that
    // is more inspects, and rightly so.)
    const startAt = calls.findIndex((c) =>
      c.startsWith(`POST /v4.0.0/libpod/containers/blueprint-${name}/start`),
    );
    expect(startAt).toBeGreaterThan(0);
    expect(calls.slice(0, startAt).filter(isInspect)).toHaveLength(1);
    // Then create and start, in that order, and nothing else asked of the engine.
    expect(calls.filter((c) => c.startsWith('POST')).map((c) => c.split('?')[0])).toEqual([
      'POST /v4.0.0/libpod/containers/create',
      `POST /v4.0.0/libpod/containers/blueprint-${name}/start`,
    ]);
    // Started again while it runs: the inspect first, then start answers 304 (nothing created).
    calls.length = 0;
    expect((await services.start(name)).healthy).toBe(true);
    expect(isInspect(calls[0] ?? '')).toBe(true);
    const again = calls.findIndex((c) =>
      c.startsWith(`POST /v4.0.0/libpod/containers/blueprint-${name}/start`),
    );
    expect(calls.slice(0, again === -1 ? undefined : again).filter(isInspect)).toHaveLength(1);
    expect(calls.some((c) => c.includes('/containers/create'))).toBe(false);
  }, 120_000);

  it('writes the restart record before the container starts; a crash between create and that write leaves what start reuses', async () => {
    const env = setup.proxy.env;
    const services = openBox(setup.box.root, { env }).services;
    const file = path.join(layout(setup.box.root).stateDir, 'services', name, 'restarts.json');
    const record = () => JSON.parse(readFileSync(file, 'utf8')) as RestartRecord;
    await services.start(name);
    await services.stop(name); // the admin's stop: the record holds it
    await podman('rm', '-f', `blueprint-${name}`);
    const before = record();
    expect(before.held).toBe(true);
    intercept = (req) =>
      // The create goes through; the start fails.
      req.method === 'POST' && /\/containers\/[^/]+\/start/.test(req.url ?? '');
    calls.length = 0;
    try {
      await expect(services.start(name)).rejects.toThrow(/refused by the test proxy/);
    } finally {
      intercept = () => false;
    }
    expect(calls.some((c) => c.includes('/containers/create'))).toBe(true);
    expect(record().held).toBeUndefined(); // rewritten before the start request
    // A crash between create and the record's write: the old record beside a container that never ran.
    writeFileSync(file, JSON.stringify(before));
    const info = await inspectContainer(openEngine(chooseSocket(process.env).path), name, setup.box.root);
    expect(info?.State.Running).toBe(false);
    // The watcher passes over a container that never ran (watch.ts: nothing observed, nothing done).
    expect(observe(info!)).toBeUndefined();
    // Starting again reuses that container (no second create) and writes the record.
    calls.length = 0;
    expect((await services.start(name)).healthy).toBe(true);
    expect(calls.some((c) => c.includes('/containers/create'))).toBe(false);
    expect(record().held).toBeUndefined();
  }, 120_000);

  it("makes no trip through libuv's thread pool (its first starts four threads, each answer a wake-up)", async () => {
    const env = setup.proxy.env;
    const services = openBox(setup.box.root, { env }).services;
    await services.stop(name);
    await podman('rm', '-f', `blueprint-${name}`);
    // What Node hands to the thread pool: file calls (callbacks and promises), DNS, crypto, zlib.
    const pooled =
      /^(FSREQ|GETADDRINFO|GETNAMEINFO|PBKDF2|RANDOMBYTES|SCRYPT|HASH|KEYGEN|ZLIB|SIGN|VERIFY|CIPHER|DERIVEBITS)/;
    const seen: string[] = [];
    const hook = createHook({
      init(_id, type) {
        if (pooled.test(type)) seen.push(`${type}\n${new Error().stack?.split('\n').slice(2, 9).join('\n')}`);
      },
    });
    calls.length = 0;
    hook.enable();
    let r: Awaited<ReturnType<typeof services.start>>;
    try {
      r = await services.start(name);
    } finally {
      hook.disable();
    }
    expect(r.healthy).toBe(true);
    expect(calls.some((c) => c.includes('/containers/create'))).toBe(true); // a first start, created
    expect(seen).toEqual([]);
  }, 120_000);

  it('health is polled finely at first, then coarser (a refused probe costs CPU the service starts with)', () => {
    const delays = Array.from({ length: 400 }, (_, i) => healthPollDelay(i));
    const at = (ms: number) => {
      let t = 0;
      for (const d of delays) {
        if (t >= ms) return d;
        t += d;
      }
      return delays.at(-1);
    };
    expect(at(0)).toBeLessThanOrEqual(5);
    expect(at(150)).toBeLessThanOrEqual(5);
    expect(at(500)).toBe(10);
    expect(at(3000)).toBe(100);
  });
});
