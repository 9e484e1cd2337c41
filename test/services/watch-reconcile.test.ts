/**
 * Issue 14, finding 5: `blueprint service watch` must reconcile what it finds when it starts (a
 * crash while no watcher ran: after an upgrade of blueprint, a watcher restart, a box that was
 * just booted) and act on a service that keeps failing its health check, not only on exits; an
 * admin's `service stop` still holds. Real engine (Podman), the hello module.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ContainerInfo,
  inspectContainer,
  startService,
  stopService,
} from '../../src/core/services/lifecycle.js';
import { readRestartRecord } from '../../src/core/services/restarts.js';
import { type WatchEvent, watchServices } from '../../src/core/services/watch.js';
import { blueprintExe } from '../helpers/pkg.js';
import { buildHello, makeBox, podman, type TestBox, uniqueName } from './helpers.js';

let box: TestBox;
const killed = uniqueName('bpt-killed');
const crashed = uniqueName('bpt-crashed');
const sick = uniqueName('bpt-sick');
const held = uniqueName('bpt-held');
const backoff = { baseMs: 100, maxMs: 1000, resetAfterMs: 60_000, onFailureTries: 3 };
const health = { intervalMs: 100, failures: 3 };

const deps = () => ({ engine: box.engine, root: box.root });
const inspect = async (name: string) => (await inspectContainer(box.engine, name, box.root)) as ContainerInfo;

async function until(what: string, ok: () => Promise<boolean>, ms = 30_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if (await ok()) return;
  throw new Error(`timed out waiting until ${what}`);
}

/** Runs the watcher as `blueprint service watch` does, until `done` holds (or the time is up). */
async function watchUntil(what: string, done: () => Promise<boolean>, ms = 30_000): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  const stop = new AbortController();
  const watching = watchServices(deps(), {
    signal: stop.signal,
    intervalMs: 50,
    backoff,
    health,
    onEvent: (e) => events.push(e),
  });
  try {
    await until(what, done, ms);
  } finally {
    stop.abort();
    await watching;
  }
  return events;
}

beforeAll(async () => {
  box = await makeBox(await buildHello());
  await box.install(killed);
  await box.install(crashed, { command: ['crash'], health: undefined });
  // Serves, but its health path answers 404: running and never healthy.
  await box.install(sick, { health: { http: '/not-health', startTimeout: 1 } });
  await box.install(held, { restart: 'always' });
}, 180_000);
afterAll(async () => {
  await box?.cleanup();
});

describe('service watch reconciles at start and acts on health', () => {
  it('a service killed before the watcher started is restarted by it', async () => {
    await startService(deps(), killed);
    const first = await inspect(killed);
    await podman('kill', `blueprint-${killed}`); // SIGKILL: exit 137, while no watcher runs
    await until('it exited', async () => (await inspect(killed)).State.Status === 'exited');
    expect((await inspect(killed)).State.ExitCode).toBe(137);
    const events = await watchUntil(
      'the engine reports it running again',
      async () => (await inspect(killed)).State.Running,
    );
    const again = await inspect(killed);
    expect(Date.parse(again.State.StartedAt)).toBeGreaterThan(Date.parse(first.State.StartedAt));
    expect(events.filter((e) => e.name === killed).map((e) => e.kind)).toContain('restarted');
    expect(await readRestartRecord(box.root, killed)).toMatchObject({
      crashes: 1,
      restarts: 1,
      lastExitCode: 137,
    });
  });

  it('a service that exited non-zero before the watcher started is restarted by it', async () => {
    await startService(deps(), crashed);
    await until('it crashed', async () => (await inspect(crashed)).State.Status === 'exited');
    const exitedAt = Date.parse((await inspect(crashed)).State.FinishedAt);
    expect((await inspect(crashed)).State.ExitCode).toBe(3);
    await watchUntil(
      'it was started again',
      async () => Date.parse((await inspect(crashed)).State.StartedAt) > exitedAt,
    );
    expect((await readRestartRecord(box.root, crashed)).restarts).toBeGreaterThanOrEqual(1);
    await stopService(deps(), crashed);
  });

  it('a running service whose health check keeps failing is restarted, and the record says why', async () => {
    await startService(deps(), sick, { wait: false });
    const first = await inspect(sick);
    expect(first.State.Running).toBe(true);
    const events = await watchUntil(
      'it was restarted',
      async () => Date.parse((await inspect(sick)).State.StartedAt) > Date.parse(first.State.StartedAt),
    );
    const mine = events.filter((e) => e.name === sick);
    expect(mine[0]).toMatchObject({ kind: 'scheduled', cause: 'unhealthy', crashes: 1, delayMs: 100 });
    expect(mine.map((e) => e.kind)).toContain('restarted');
    expect(await readRestartRecord(box.root, sick)).toMatchObject({
      lastCause: 'unhealthy',
      restarts: 1,
      crashes: 1,
    });
    expect((await inspect(sick)).State.Running).toBe(true);
    await stopService(deps(), sick);
  });

  it('leaves a service the admin stopped alone, also when it starts', async () => {
    await startService(deps(), held);
    expect(await stopService(deps(), held)).toBe(true);
    const stoppedAt = (await inspect(held)).State.FinishedAt;
    // The sick and crashing ones are stopped too: nothing for this watcher to do for ~2 s.
    let looks = 0;
    const events = await watchUntil('2 s passed', async () => ++looks > 20);
    expect(events.filter((e) => e.name === held)).toEqual([]);
    const after = await inspect(held);
    expect(after.State).toMatchObject({ Running: false, Status: 'exited', FinishedAt: stoppedAt });
    expect(await readRestartRecord(box.root, held)).toMatchObject({ held: true });
  });
  it('blueprint service watch (the built executable), started after a kill, restarts the service', async () => {
    const first = await inspect(killed);
    expect(first.State.Running).toBe(true);
    await podman('kill', `blueprint-${killed}`);
    await until('it exited', async () => (await inspect(killed)).State.Status === 'exited');
    const child = spawn(blueprintExe, ['--root', box.root, '--json', 'service', 'watch']);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    try {
      // The default backoff: crash 2 in a row, 2 s after the exit.
      await until('the engine reports it running again', async () => (await inspect(killed)).State.Running);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('close', r));
    }
    const events = out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as WatchEvent);
    expect(events.filter((e) => e.name === killed)).toEqual([
      { kind: 'scheduled', name: killed, cause: 'exit', exitCode: 137, crashes: 2, delayMs: 2000 },
      { kind: 'restarted', name: killed, restarts: 2 },
    ]);
  });
});
