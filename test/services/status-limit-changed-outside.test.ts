/**
 * LIMITS2: `service status NAME` (and the dashboard's service page and the console's Services
 * screen, which read it) judged a running service's memory limit apart from `service inspect`.
 * After `podman update --memory` on a container made from the plan that holds now, status said
 * "runs with X; its next start gives it Y: restart" (blaming settings, overrides or models) on an
 * engine that records the update, where a restart keeps that container and its new limit, so it
 * changed nothing (Podman 4.3.1 records nothing: status said nothing, and a restart re-applies the
 * created limit); inspect said the limit was changed outside blueprint, with the command that sets
 * it back. Now both judge it with memory-limit-judge.ts and say it in the same words (src/present).
 *
 * Memory admission counted such a service at the limit the engine recorded at its start: Podman
 * 4.3.1 (this machine's) changes only the cgroup on `podman update`, so a service raised to 200 MiB
 * was counted at 64 MiB and another start was admitted into memory it may still take. It now counts
 * the limit the kernel holds the container to (its cgroup's), where it can read it.
 *
 * Real Podman: the hello module at 64 MiB, started, `podman update --memory 200m`, set back.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { admitStart } from '../../src/core/services/admission.js';
import { runningLimitLine, runningLimitNote } from '../../src/present/services.js';
import { runningLimitsReader } from '../../src/tui/running-limits.js';
import { appOps } from '../../src/web/app-ops.js';
import { run } from '../helpers/pkg.js';
import {
  boxAvailableMiB,
  engineRecordedMemory,
  engineRecordingUpdate,
  limitedTo,
  startLimited,
  updateMemoryOutside,
} from './container-memory.js';
import type { EngineProxy } from './engine-proxy.js';
import { buildHello, engineUp, makeBox, type TestBox, uniqueName } from './helpers.js';

const MiB = 1024 ** 2;

/** The console's reader: a first poll starts the read, a later one gives the line read. */
const consoleLine = async (reader: ReturnType<typeof runningLimitsReader>, name: string) => {
  reader.forget(name);
  reader.line(name, true);
  const until = Date.now() + 10_000;
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    const line = reader.line(name, true);
    if (line !== undefined || Date.now() > until) return line;
  }
};

describe.skipIf(!engineUp)('service status: a memory limit changed outside blueprint', () => {
  let box: TestBox | undefined;
  let proxy: EngineProxy | undefined;
  afterAll(async () => {
    await proxy?.close();
    await box?.cleanup();
  });

  it('status, dashboard and console say what inspect says (no restart); admission counts the cgroup', async () => {
    box = await makeBox(await buildHello());
    const root = box.root;
    const name = uniqueName('bpt-stupd');
    const other = uniqueName('bpt-stoth');
    await box.install(other, limitedTo('64m'));
    const services = await startLimited(box, name, '64m');
    const clean = await services.status(name);
    expect(clean.runningLimits).toBeUndefined();
    expect(clean.limitChangedOutside).toBeUndefined();

    await updateMemoryOutside(name, '200m');
    const changed = { memoryBytes: 200 * MiB, planMemoryBytes: 64 * MiB };
    const st = await services.status(name);
    expect(st.runningLimits).toBeUndefined();
    expect(st.limitChangedOutside).toEqual(changed);
    // One judge: inspect finds the same.
    const looked = await services.inspect(name);
    expect(looked.limitChangedOutside).toEqual(st.limitChangedOutside);
    expect(looked.runningLimits).toBeUndefined();

    const fix = `set it back with \`podman update --memory 64m --memory-swap 64m blueprint-${name}\``;
    const said = `its container's memory limit was changed outside blueprint (200 MiB; its sandbox plan gives 64 MiB): ${fix}`;
    const json = await run(['--root', root, '--json', 'service', 'status', name]);
    expect(json.code, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.runningLimits).toBeUndefined();
    expect(parsed.limitChangedOutside).toEqual(changed);
    const text = await run(['--root', root, 'service', 'status', name]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`${name}: ${said}`);
    expect(text.stdout).not.toMatch(/next start|service restart/);
    const inspected = await run(['--root', root, 'service', 'inspect', name]);
    expect(inspected.stdout).toContain(said);

    // The dashboard's service page: the same finding and fix, no Restart offered for it.
    const page = await appOps(root).service(name);
    expect(page.runningLimits).toBe(`I${said.slice(1)}.`);
    expect(page.runningLimits).toBe(runningLimitNote(st));
    // The console's Services screen: the CLI's line.
    const reader = runningLimitsReader((n) => services.status(n));
    expect(await consoleLine(reader, name)).toBe(`${name}: ${said}`);
    expect(runningLimitLine(name, st)).toBe(`${name}: ${said}`);

    // Admission: the engine here records no new limit (Podman 4.3.1); the kernel holds it to 200 MiB.
    const engineSays = await engineRecordedMemory(name);
    expect([64 * MiB, 200 * MiB]).toContain(engineSays);
    boxAvailableMiB(root, 4096);
    const verdict = await admitStart({ engine: box.engine, root }, other);
    expect(verdict.running.find((r) => r.name === name)?.limitBytes).toBe(200 * MiB);

    // Set back as it says: nothing to say anywhere, and admission counts 64 MiB.
    await updateMemoryOutside(name, '64m');
    const back = await services.status(name);
    expect(back.limitChangedOutside).toBeUndefined();
    expect(back.runningLimits).toBeUndefined();
    expect((await run(['--root', root, 'service', 'status', name])).stdout).not.toMatch(
      /changed outside blueprint|next start/,
    );
    expect((await appOps(root).service(name)).runningLimits).toBeUndefined();
    expect(await consoleLine(reader, name)).toBeUndefined();
    const after = await admitStart({ engine: box.engine, root }, other);
    expect(after.running.find((r) => r.name === name)?.limitBytes).toBe(64 * MiB);

    // A restart keeps the container. Podman 4.3.1 re-applies the limit it recorded at its start (the
    // plan's); an engine that records the update keeps 200 MiB. Either way status says what the kernel holds.
    await updateMemoryOutside(name, '200m');
    await services.restart(name);
    const kernel = (await services.inspect(name)).process?.cgroup.memoryBytes;
    expect((await services.status(name)).limitChangedOutside).toEqual(
      kernel === 64 * MiB ? undefined : { memoryBytes: kernel, planMemoryBytes: 64 * MiB },
    );
    await services.stop(name);
  }, 180_000);

  it('an engine that records the new limit (HostConfig.Memory): status tells no restart either', async () => {
    box ??= await makeBox(await buildHello());
    const root = box.root;
    const name = uniqueName('bpt-stupd5');
    await startLimited(box, name, '64m');
    await updateMemoryOutside(name, '200m');
    // The container's inspect as a Podman that records `podman update` answers it.
    proxy = await engineRecordingUpdate(name, 200 * MiB);
    const shown = await run(['--root', root, 'service', 'status', name], { env: proxy.env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).not.toMatch(/next start|service restart/);
    expect(shown.stdout).toContain(
      `${name}: its container's memory limit was changed outside blueprint (200 MiB; its sandbox plan gives 64 MiB)`,
    );
    const json = JSON.parse(
      (await run(['--root', root, '--json', 'service', 'status', name], { env: proxy.env })).stdout,
    );
    expect(json.runningLimits).toBeUndefined();
    expect(json.limitChangedOutside).toEqual({ memoryBytes: 200 * MiB, planMemoryBytes: 64 * MiB });
    await openBox(root).services.stop(name);
  }, 180_000);

  it("a plan's limit the kernel rounds to its page size is the plan's: no finding, kernel line ok", async () => {
    box ??= await makeBox(await buildHello());
    const root = box.root;
    const name = uniqueName('bpt-stpage');
    // 97657 KiB = 100000768 bytes, not a whole number of 4 KiB pages: the cgroup holds 100000768 - 1024.
    const services = await startLimited(box, name, '97657k');
    const looked = await services.inspect(name);
    expect(looked.process?.cgroup.memoryBytes).toBe(100000768 - 1024);
    expect(looked.limitChangedOutside).toBeUndefined();
    expect((await services.status(name)).limitChangedOutside).toBeUndefined();
    const shown = await run(['--root', root, 'service', 'inspect', name]);
    expect(shown.stdout).toMatch(/ok +memory limit 95 MiB/);
    expect(shown.stdout).not.toMatch(/changed outside blueprint/);
    await services.stop(name);
  }, 180_000);

  it('a plan changed since it started, then podman update: the restart line says the limit the kernel holds', async () => {
    box ??= await makeBox(await buildHello());
    const root = box.root;
    const name = uniqueName('bpt-stold');
    const other = uniqueName('bpt-stold2');
    await box.install(other, limitedTo('64m'));
    const services = await startLimited(box, name, '128m');
    const override = path.join(root, 'etc/blueprint/overrides', `${name}.json`);
    mkdirSync(path.dirname(override), { recursive: true });
    writeFileSync(override, '{ "memory": "96m" }\n');
    await updateMemoryOutside(name, '200m');
    // It runs with 200 MiB (what admission counts for it, on either engine), its next start gives 96.
    const differ = { memoryBytes: 200 * MiB, nextStartMemoryBytes: 96 * MiB };
    const st = await services.status(name);
    expect(st.runningLimits).toEqual(differ);
    expect(st.limitChangedOutside).toBeUndefined();
    const looked = await services.inspect(name);
    expect(looked.runningLimits).toEqual(differ);
    boxAvailableMiB(root, 4096);
    const verdict = await admitStart({ engine: box.engine, root }, other);
    expect(verdict.running.find((r) => r.name === name)?.limitBytes).toBe(200 * MiB);
    const shown = await run(['--root', root, 'service', 'inspect', name]);
    expect(shown.stdout).toContain('runs with a memory limit of 200 MiB; its next start gives it 96 MiB');
    expect(shown.stdout).toMatch(/ok +memory limit 200 MiB/);
    // The restart it offers gives the plan's limit: nothing left to say.
    await services.restart(name);
    expect((await services.status(name)).runningLimits).toBeUndefined();
    expect((await services.inspect(name)).process?.cgroup.memoryBytes).toBe(96 * MiB);
    await services.stop(name);
  }, 180_000);
});
