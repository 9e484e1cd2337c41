import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { AdmissionError } from '../../src/core/services/admission.js';
import { planFor, startService, stopService } from '../../src/core/services/lifecycle.js';
import { SPEC_LABEL } from '../../src/core/services/policy.js';
import { findRegistration } from '../../src/core/services/registry.js';
import { parseService } from '../../src/core/services/schema.js';
import { image, register as registerModule } from '../helpers/client-token-box.js';
import { tempDir } from '../setup/temp-registry.js';
import { buildHello, makeBox, podman, type TestBox, uniqueName } from './helpers.js';

// `resources:` in an appliance file (`blueprint apply -f`, setup's answers) is written to
// ROOT/etc/blueprint/overrides/NAME.json; the sandbox a service starts in, and memory admission,
// take their limits from it instead of the manifest's.
const MiB = 1024 ** 2;
const overrideFile = (root: string, name: string) =>
  path.join(root, 'etc/blueprint/overrides', `${name}.json`);
const writeOverride = (root: string, name: string, text: string) => {
  mkdirSync(path.dirname(overrideFile(root, name)), { recursive: true });
  writeFileSync(overrideFile(root, name), text);
};

describe('resource overrides, planned', () => {
  const root = tempDir('bp-overrides-');
  const name = uniqueName('ovr');
  // Planning asks the engine nothing (no GPU planner): no engine is needed.
  const deps = () => ({ engine: undefined as never, root });
  const reg = async () => (await findRegistration(root, name))!;

  const register = () =>
    registerModule(root, name, parseService({ image, resources: { memory: '64m', cpus: 1 } }));

  it('gives the engine the overridden memory and cpus, and a new spec label', async () => {
    await register();
    const before = await planFor(deps(), await reg());
    writeOverride(root, name, '{\n  "memory": "128m",\n  "cpus": 0.5\n}\n');
    const plan = await planFor(deps(), await reg());
    const limits = plan.spec.resource_limits as {
      memory: { limit: number; swap: number };
      cpu: { quota: number; period: number };
    };
    expect(limits.memory).toEqual({ limit: 128 * MiB, swap: 128 * MiB });
    expect(limits.cpu.quota / limits.cpu.period).toBe(0.5);
    expect(plan.summary.memoryBytes).toBe(128 * MiB);
    const label = (p: typeof plan) => (p.spec.labels as Record<string, string>)[SPEC_LABEL];
    expect(label(plan)).not.toBe(label(before));
    // Everything else in the sandbox is as without the override.
    const strip = (p: typeof plan) => {
      const s = JSON.parse(JSON.stringify(p.spec));
      delete s.resource_limits;
      delete s.labels[SPEC_LABEL];
      return s;
    };
    expect(strip(plan)).toEqual(strip(before));
  });

  it('admits a start by the overridden memory limit', async () => {
    mkdirSync(path.join(root, 'proc'), { recursive: true });
    writeFileSync(
      path.join(root, 'proc/meminfo'),
      'MemTotal:       4194304 kB\nMemFree:  1 kB\nMemAvailable:   1048576 kB\n',
    );
    writeOverride(root, name, '{ "memory": "3g" }\n');
    const err = await openBox(root)
      .services.start(name)
      .catch((e) => e);
    expect(err).toBeInstanceOf(AdmissionError);
    expect(err.message).toContain(`${name} needs 3.00 GiB of memory`);
  });

  it.each([
    ['not JSON', '{ memory: 128m'],
    ['memory not a size', '{ "memory": "lots" }'],
    ['memory below 4m', '{ "memory": "1k" }'],
    ['memory past 1 TiB', '{ "memory": "2048g" }'],
    ['cpus not positive', '{ "cpus": 0 }'],
    ['an unknown field', '{ "memroy": "128m" }'],
    ['not an object', '[1]'],
  ])('refuses an override file with %s, naming the file', async (_, text) => {
    writeOverride(root, name, text);
    const err = await planFor(deps(), await reg()).catch((e) => e);
    expect(err.code).toBe('overrides-invalid');
    expect(err.hint).toContain(overrideFile(root, name));
  });
  it.each([
    ['a FIFO', (file: string) => execFileSync('mkfifo', [file])],
    ['a symbolic link', (file: string) => symlinkSync(path.join(root, 'elsewhere.json'), file)],
  ])('refuses %s at the file name, without waiting for a writer', async (_, make) => {
    writeFileSync(path.join(root, 'elsewhere.json'), '{ "memory": "128m" }');
    rmSync(overrideFile(root, name), { force: true });
    make(overrideFile(root, name));
    const err = await planFor(deps(), await reg()).catch((e) => e);
    expect(err.code).toBe('overrides-invalid');
    expect(err.hint).toContain(overrideFile(root, name));
  });
});

describe('resource overrides on the real engine', () => {
  let box: TestBox | undefined;
  afterAll(async () => {
    await box?.cleanup();
  });

  it("sets the container's memory limit, and a restart after a change makes it anew", async () => {
    box = await makeBox(await buildHello());
    const name = uniqueName('bpt-ovr');
    await box.install(name);
    const deps = { engine: box.engine, root: box.root };
    const memory = async () =>
      Number(await podman('inspect', '--format', '{{.HostConfig.Memory}}', `blueprint-${name}`));
    writeOverride(box.root, name, '{ "memory": "128m" }\n');
    await startService(deps, name);
    expect(await memory()).toBe(128 * MiB);
    writeOverride(box.root, name, '{ "memory": "96m" }\n');
    // `blueprint service restart`, as the admin runs it: admission, then the container made anew.
    await openBox(box.root).services.restart(name);
    expect(await memory()).toBe(96 * MiB);
    await stopService(deps, name);
  }, 180_000);
});
