/**
 * The engine's deadline and signal (engine.ts, engine-wire.ts), against a socket that takes the
 * connection and never answers (a wedged engine): a quick call (a GET) fails as the engine down
 * does once its deadline passes, and closes its connection; a change (a POST: stop, create, start
 * may rightly take long) has no deadline, and ends a grace after the command's signal (it was sent:
 * its answer may still say what it did), with the signal's reason. A call made after the signal
 * (a command's tidying up) is not refused.
 */
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/core/errors.js';
import {
  ENGINE_TIMEOUT_MS,
  EngineError,
  engineTimeoutMs,
  openEngine,
} from '../../src/core/services/engine.js';
import { tempDir } from '../setup/temp-registry.js';

let server: Server;
let sock: string;
const held: Socket[] = [];

beforeAll(async () => {
  sock = path.join(tempDir('bp-engine-deadline-'), 'podman.sock');
  server = createServer((c) => {
    held.push(c);
    c.on('error', () => {});
    c.resume(); // reads the request (and so sees the close), answers nothing
  });
  await new Promise<void>((r) => server.listen(sock, r));
});
afterAll(() => {
  for (const c of held) c.destroy();
  server.close();
});

const closed = (c: Socket) => new Promise<void>((r) => (c.closed ? r() : c.once('close', () => r())));

describe('a quick call to an engine that never answers', () => {
  it('fails as the engine down (exit 6) once its deadline passes, and leaves no connection open', async () => {
    const engine = openEngine(sock, 'CONTAINER_HOST', { timeoutMs: 300 });
    const n = held.length;
    const t0 = Date.now();
    const err = await engine.libpod('GET', '/containers/x/json').catch((e: unknown) => e);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ code: 'engine-down', exitCode: 6 });
    expect((err as Error).message).toBe(`The container engine did not answer within 300 ms (at ${sock})`);
    expect((err as EngineError).hint).toContain(`CONTAINER_HOST=unix://${sock}`);
    await Promise.race([closed(held[n]!), sleep(2000).then(() => expect.fail('connection left open'))]);
  });

  it('the default socket: the hint says how to look at and restart the engine', async () => {
    const err = await openEngine(sock, 'default', { timeoutMs: 200 })
      .libpod<never>('GET', '/info')
      .catch((e: unknown) => e as EngineError);
    expect(err.hint).toContain('systemctl status podman.socket');
    expect(err.hint).toContain('systemctl restart podman.socket');
  });
});

describe('a change to an engine that never answers', () => {
  it('has no deadline, but ends its grace after the signal with its reason, closing its connection', async () => {
    const abort = new AbortController();
    const engine = openEngine(sock, 'default', { timeoutMs: 200, signal: abort.signal, changeGraceMs: 400 });
    const n = held.length;
    let settled = false;
    const stop = engine.libpod('POST', '/containers/x/stop').finally(() => (settled = true));
    stop.catch(() => {});
    await sleep(600); // three deadlines
    expect(settled).toBe(false);
    const why = new InterruptedError('Interrupted by SIGTERM', undefined, 'SIGTERM');
    abort.abort(why);
    // The change was sent: it may still answer for its grace (what it did is then said), then not.
    await sleep(150);
    expect(settled).toBe(false);
    await expect(stop).rejects.toBe(why);
    await Promise.race([closed(held[n]!), sleep(2000).then(() => expect.fail('connection left open'))]);
  });

  it('a call through `call` (dockerode) ends on the signal too', async () => {
    const abort = new AbortController();
    const engine = openEngine(sock, 'default', { signal: abort.signal });
    const never = engine.call('loading the image archive', () => new Promise<never>(() => {}));
    setTimeout(() => abort.abort(new InterruptedError('Interrupted by SIGINT')), 50);
    await expect(never).rejects.toMatchObject({ code: 'interrupted', exitCode: 130 });
  });

  it('`call` hands the signal on: the dockerode request it made is ended, its connection closed', async () => {
    const abort = new AbortController();
    const engine = openEngine(sock, 'default', { signal: abort.signal });
    const n = held.length;
    const removal = engine.call('removing image x', async (signal) =>
      (await engine.docker()).getImage('x').remove(signal ? { abortSignal: signal } : {}),
    );
    removal.catch(() => {});
    while (held.length === n) await sleep(20); // the request reached the engine
    abort.abort(new InterruptedError('Interrupted by SIGTERM', undefined, 'SIGTERM'));
    await expect(removal).rejects.toMatchObject({ code: 'interrupted', exitCode: 143 });
    await Promise.race([closed(held[n]!), sleep(2000).then(() => expect.fail('connection left open'))]);
  });

  it('a call made after the signal is not refused: it runs, with its deadline', async () => {
    const abort = new AbortController();
    abort.abort(new InterruptedError());
    const err = await openEngine(sock, 'default', { timeoutMs: 200, signal: abort.signal })
      .libpod<never>('GET', '/_ping')
      .catch((e: unknown) => e as EngineError);
    expect(err.code).toBe('engine-down');
  });
});

describe('BLUEPRINT_ENGINE_TIMEOUT_MS', () => {
  it('sets the deadline in ms; anything but a whole positive number leaves 30 s', () => {
    expect(ENGINE_TIMEOUT_MS).toBe(30_000);
    expect(engineTimeoutMs({ BLUEPRINT_ENGINE_TIMEOUT_MS: '1500' })).toBe(1500);
    for (const v of [undefined, '', '0', '-5', '1e3', '2.5', 'abc', '9999999999'])
      expect(engineTimeoutMs({ BLUEPRINT_ENGINE_TIMEOUT_MS: v })).toBe(30_000);
  });
});
