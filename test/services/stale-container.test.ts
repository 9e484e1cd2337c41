/**
 * A container whose process went without the engine seeing it (its conmon was killed, then the
 * process: an OOM kill of both, a crash of the engine's helper). Podman keeps saying "running"
 * with the old host pid. Before: `service list` said running/unhealthy and rated the sandbox 4/8
 * from a /proc that was not there ("FAIL CapEff ?"), and `service start`/`restart` failed with the
 * engine's "container state improper", so the admin had no way back but `podman rm -f`. Now the
 * box judges the engine's pid against the kernel (the pid's cgroup names the container), calls
 * such a service "gone", and start, restart and the watcher make its container afresh.
 * Real Podman, the hello module.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { inspectContainer } from '../../src/core/services/container-info.js';
import { startService } from '../../src/core/services/lifecycle.js';
import { type WatchEvent, watchServices } from '../../src/core/services/watch.js';
import { buildHello, makeBox, podman, type TestBox, uniqueName } from './helpers.js';

let box: TestBox;
const name = uniqueName('bpt-gone');
const watched = uniqueName('bpt-gonew');
const deps = () => ({ engine: box.engine, root: box.root });

const alive = (pid: number) => {
  try {
    readFileSync(`/proc/${pid}/stat`);
    return true;
  } catch {
    return false;
  }
};

/** Kills the container's conmon first, then its process: the engine never hears of the exit. */
async function killBehindTheEngine(module: string): Promise<number> {
  const c = `blueprint-${module}`;
  const [pid, conmon] = (await podman('inspect', '--format', '{{.State.Pid}} {{.State.ConmonPid}}', c))
    .trim()
    .split(' ')
    .map(Number);
  process.kill(conmon!, 'SIGKILL');
  for (let i = 0; i < 50 && alive(conmon!); i++) await sleep(50);
  process.kill(pid!, 'SIGKILL');
  for (let i = 0; i < 50 && alive(pid!); i++) await sleep(50);
  expect(alive(pid!)).toBe(false);
  // The engine still believes it runs: the case this test is about.
  expect((await podman('inspect', '--format', '{{.State.Status}}', c)).trim()).toBe('running');
  return pid!;
}

beforeAll(async () => {
  box = await makeBox(await buildHello());
  await box.install(name);
  await box.install(watched);
}, 180_000);

afterAll(async () => {
  for (const n of [name, watched]) await podman('rm', '-f', `blueprint-${n}`).catch(() => {});
  await box?.cleanup();
});

describe('a container whose process is gone behind the engine', () => {
  it('is shown as gone, not running, and start and restart make it afresh', async () => {
    const services = openBox(box.root).services;
    await services.start(name);
    const pid = await killBehindTheEngine(name);

    const status = await services.status(name);
    expect(status.state).toBe('gone');
    expect(status.health).toBe('none');
    expect(status.uptimeSeconds).toBeNull();
    // Not rated from a /proc that is not there: the manifest's rating, as for a stopped service.
    expect(status.rating.basis).toBe('manifest');
    const inspected = await services.inspect(name);
    expect(inspected.state).toBe('gone');
    expect(inspected.process).toBeUndefined();

    const started = await services.start(name);
    expect(started.healthy).toBe(true);
    const after = await inspectContainer(box.engine, name, box.root);
    expect(after?.State.Running).toBe(true);
    expect(after?.State.Pid).not.toBe(pid);
    expect(alive(after!.State.Pid)).toBe(true);

    await killBehindTheEngine(name);
    const restarted = await services.restart(name);
    expect(restarted.healthy).toBe(true);
    expect((await services.status(name)).state).toBe('running');
  }, 180_000);

  it('is restarted by the watcher as a crash', async () => {
    await startService(deps(), watched);
    await killBehindTheEngine(watched);
    const events: WatchEvent[] = [];
    const stop = new AbortController();
    const watching = watchServices(deps(), {
      signal: stop.signal,
      intervalMs: 50,
      backoff: { baseMs: 100, maxMs: 1000, resetAfterMs: 60_000, onFailureTries: 3 },
      onEvent: (e) => events.push(e),
    });
    try {
      for (const end = Date.now() + 60_000; Date.now() < end; await sleep(100)) {
        const info = await inspectContainer(box.engine, watched, box.root);
        if (info?.State.Running && alive(info.State.Pid)) break;
      }
    } finally {
      stop.abort();
      await watching;
    }
    const info = await inspectContainer(box.engine, watched, box.root);
    expect(info?.State.Running && alive(info.State.Pid)).toBe(true);
    expect(events.map((e) => e.kind)).toContain('scheduled');
  }, 180_000);
});
