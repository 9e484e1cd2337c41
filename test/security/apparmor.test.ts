// Own AppArmor profile per service (issue 11): generated from the manifest, compiled by the real
// apparmor_parser, loaded at start where the kernel has AppArmor, recorded honestly where it has
// none, and proven in force from the host (/proc/PID/attr/current) where the kernel enforces it.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apparmorProfile,
  apparmorSupport,
  findParser,
  type ProfileInput,
  planAppArmor,
  profileFile,
  profileName,
} from '../../src/core/services/apparmor.js';
import { inspectService } from '../../src/core/services/inspect.js';
import { inspectContainer, planFor, startService } from '../../src/core/services/lifecycle.js';
import { NO_GPU, sandboxPolicy } from '../../src/core/services/policy.js';
import { getRegistration } from '../../src/core/services/registry.js';
import { parseService } from '../../src/core/services/schema.js';
import { buildHello, type HelloBuild, makeBox, type TestBox, uniqueName } from '../services/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

const run = promisify(execFile);

const hello: ProfileInput = {
  name: 'hello',
  network: 'loopback-socket',
  writable: ['/run/hello', '/var/lib/hello'],
  devices: [],
};

/** Compiles a profile with the real parser, never loading it: exit code and messages. */
async function compile(text: string): Promise<{ code: number; stderr: string }> {
  const file = path.join(tempDir('bp-aa-'), 'profile');
  await writeFile(file, text);
  const parser = await findParser();
  if (!parser)
    throw new Error('apparmor_parser is missing: run scripts/setup-host.sh (apt-get install apparmor)');
  try {
    // -Q: do not load into the kernel (this host has no AppArmor); -K: no cache. Compiles fully.
    const r = await run(parser, ['-Q', '-K', file]);
    return { code: 0, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

describe('the profile generated from a manifest', () => {
  it('names the service and allows writes only to its own folders, /tmp and /dev/shm', () => {
    const text = apparmorProfile(hello);
    expect(profileName('hello')).toBe('blueprint-hello');
    // Beside the system's profiles (root-relative), in a folder apparmor.service does not load by itself.
    expect(profileFile('/r', 'hello')).toBe('/r/etc/apparmor.d/blueprint/blueprint-hello');
    expect(text).toMatch(/^profile blueprint-hello flags=\(attach_disconnected,mediate_deleted\) \{$/m);
    // Every rule that grants w/a/l, one per line: only the declared rw mounts, /tmp, /dev/shm, /dev nodes.
    const writeRules = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => !l.startsWith('#') && !l.startsWith('deny') && /^\/\S*\s+[a-z]*[wal][a-z]*,$/.test(l))
      .map((l) => l.split(/\s+/)[0]);
    expect(writeRules.sort()).toEqual(
      [
        '/dev/full',
        '/dev/null',
        '/dev/ptmx',
        '/dev/pts/*',
        '/dev/random',
        '/dev/shm/',
        '/dev/shm/**',
        '/dev/tty',
        '/dev/urandom',
        '/dev/zero',
        '/run/hello/',
        '/run/hello/**',
        '/tmp/',
        '/tmp/**',
        '/var/lib/hello/',
        '/var/lib/hello/**',
      ].sort(),
    );
    // What it may write, it may not execute (W^X); the rest of the filesystem is read-only.
    expect(text).toContain('deny /run/hello/** mx,');
    expect(text).toContain('deny /var/lib/hello/** mx,');
    expect(text).toMatch(/^\s+\/\*\* rmix,$/m);
    for (const rule of ['deny mount,', 'deny umount,', 'deny pivot_root,', 'deny ptrace (trace),'])
      expect(text).toContain(rule);
    expect(text).toContain('deny network raw,');
    expect(text).toContain('deny network packet,');
    expect(text).toContain('deny capability,');
  });

  it('grants IP sockets only to a module with outbound network', () => {
    expect(apparmorProfile(hello)).not.toMatch(/^\s+network inet/m);
    expect(apparmorProfile({ ...hello, network: 'none' })).toContain('deny network inet,');
    const out = apparmorProfile({ ...hello, network: 'outbound' });
    expect(out).toMatch(/^\s+network inet stream,$/m);
    expect(out).toContain('deny network raw,');
  });

  it('lets a GPU service open its device nodes and nothing else under /dev', () => {
    const text = apparmorProfile({ ...hello, devices: ['/dev/kfd', '/dev/dri/renderD128'] });
    expect(text).toMatch(/^\s+\/dev\/kfd rw,$/m);
    expect(text).toMatch(/^\s+\/dev\/dri\/renderD128 rw,$/m);
    const cdi = apparmorProfile({ ...hello, devices: ['nvidia.com/gpu=all'] });
    expect(cdi).toMatch(/^\s+\/dev\/nvidia\* rw,$/m);
    expect(apparmorProfile(hello)).not.toMatch(/\/dev\/(dri|kfd|nvidia)/);
  });

  it('refuses a path that would inject rules into the profile (globs, commas, new lines)', () => {
    for (const bad of ['/data/** rwx,\n  /** w', '/data/*', '/data{,/x}', '/a b', '/data,', '/x/@{HOME}'])
      expect(() => apparmorProfile({ ...hello, writable: [bad] }), bad).toThrow(/cannot be written/);
    expect(() => apparmorProfile({ ...hello, devices: ['/dev/x,\n  /** w'] })).toThrow(/cannot be written/);
    expect(() => apparmorProfile({ ...hello, name: 'x { /** w, }' })).toThrow(/cannot be written/);
  });
});

describe('the container spec', () => {
  const input = {
    root: '/box',
    name: 'hello',
    version: '1.0.0',
    prefix: '/box/opt/blueprint/hello/1.0.0',
    service: parseService({
      image: { archive: 'image.tar', id: `sha256:${'a'.repeat(64)}` },
      network: 'loopback-socket',
      socket: { dir: '/run/hello', file: 'hello.sock' },
    }),
    approvals: { outboundNetwork: false },
    gpu: NO_GPU,
    seccompProfile: '/box/seccomp.json',
  };

  it('names the own profile for the engine only when the plan has one, and says why not otherwise', () => {
    const own = sandboxPolicy({ ...input, apparmor: { mode: 'own-profile', profile: 'blueprint-hello' } });
    expect(own.spec.apparmor_profile).toBe('blueprint-hello');
    expect(own.summary.apparmor).toEqual({ mode: 'own-profile', profile: 'blueprint-hello' });
    const off = sandboxPolicy({ ...input, apparmor: { mode: 'off', reason: 'kernel-has-no-apparmor' } });
    expect(off.spec).not.toHaveProperty('apparmor_profile');
    expect(off.summary.apparmor).toEqual({ mode: 'off', reason: 'kernel-has-no-apparmor' });
    // A change of plan is a new spec: the container is made again at the next start.
    expect(own.spec.labels).not.toEqual(off.spec.labels);
  });

  it('plans the own profile where the kernel enforces AppArmor and the parser is there', async () => {
    const sys = tempDir('bp-aa-sys-');
    expect(await planAppArmor('hello', sys)).toEqual({ mode: 'off', reason: 'kernel-has-no-apparmor' });
    await mkdir(path.join(sys, 'module/apparmor/parameters'), { recursive: true });
    await mkdir(path.join(sys, 'kernel/security/apparmor'), { recursive: true });
    await writeFile(path.join(sys, 'module/apparmor/parameters/enabled'), 'Y\n');
    const parser = await findParser();
    expect(await planAppArmor('hello', sys)).toEqual(
      parser
        ? { mode: 'own-profile', profile: 'blueprint-hello' }
        : { mode: 'engine-default', reason: 'parser-missing' },
    );
  });
});

describe('the real apparmor_parser', () => {
  it('compiles every generated profile', async () => {
    for (const input of [
      hello,
      { ...hello, network: 'none' as const, writable: [] },
      { ...hello, network: 'outbound' as const, devices: ['/dev/kfd', '/dev/dri/renderD128'] },
      { ...hello, devices: ['nvidia.com/gpu=all'] },
    ]) {
      const r = await compile(apparmorProfile(input));
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it('fails on a broken profile, so the check above can fail', async () => {
    const broken = apparmorProfile(hello).replace('deny mount,', 'deny mount /nowhere rw');
    const r = await compile(broken);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/error/i);
  });
});

describe('whether the kernel has AppArmor', () => {
  it('reads /sys/module/apparmor: absent, disabled at boot, no securityfs, or enabled', async () => {
    const sys = tempDir('bp-aa-sys-');
    expect(await apparmorSupport(sys)).toEqual({ enabled: false, reason: 'kernel-has-no-apparmor' });
    await mkdir(path.join(sys, 'module/apparmor/parameters'), { recursive: true });
    await writeFile(path.join(sys, 'module/apparmor/parameters/enabled'), 'N\n');
    expect(await apparmorSupport(sys)).toEqual({ enabled: false, reason: 'apparmor-disabled' });
    await writeFile(path.join(sys, 'module/apparmor/parameters/enabled'), 'Y\n');
    // Enabled, but its control files are not mounted (inside a container): nothing can be loaded.
    expect(await apparmorSupport(sys)).toEqual({ enabled: false, reason: 'no-securityfs' });
    await mkdir(path.join(sys, 'kernel/security/apparmor'), { recursive: true });
    expect(await apparmorSupport(sys)).toEqual({ enabled: true });
  });
});

// Real engine: what start does with the profile on this kernel.
const engineUp = existsSync(process.env.CONTAINER_HOST?.replace('unix://', '') ?? '/run/podman/podman.sock');
// Where blueprint can load a profile: the kernel has AppArmor on, securityfs is mounted, the parser is there.
const support = await apparmorSupport();
const apparmorEnabled = support.enabled && (await findParser()) !== undefined;

describe.skipIf(!engineUp)('a started service (real Podman)', () => {
  let build: HelloBuild;
  let box: TestBox;
  const name = uniqueName('aahello');

  beforeAll(async () => {
    build = await buildHello();
    box = await makeBox(build);
    await box.install(name);
    await startService({ engine: box.engine, root: box.root }, name);
  }, 120_000);
  afterAll(async () => {
    await box?.cleanup();
    if (build) await rm(build.dir, { recursive: true, force: true });
  });

  it.skipIf(support.enabled)(
    'where AppArmor is not available: no profile is claimed, and the inspection says why (skipped where it is)',
    async () => {
      const deps = { engine: box.engine, root: box.root };
      const plan = await planFor(deps, await getRegistration(box.root, name));
      expect(plan.spec).not.toHaveProperty('apparmor_profile');
      const reason = (support as { reason: string }).reason;
      expect(plan.summary.apparmor).toEqual({ mode: 'off', reason });
      expect(existsSync(path.join(box.root, 'etc/apparmor.d/blueprint', profileName(name)))).toBe(false);
      const i = await inspectService(deps, name);
      expect(i.process?.apparmor).toBeNull();
      const item = i.rating.items.find((r) => r.code.startsWith('apparmor'));
      expect(item).toMatchObject({ code: 'apparmor-off', points: -1, source: 'container' });
      expect(item?.data).toMatchObject({ reason });
    },
  );

  it.skipIf(!apparmorEnabled)(
    'is confined by its own profile, proven from the host by /proc/PID/attr/current (needs a kernel with AppArmor enabled, securityfs and apparmor_parser)',
    async () => {
      const info = await inspectContainer(box.engine, name, box.root);
      expect(info?.State.Running).toBe(true);
      const pid = info!.State.Pid;
      const label = existsSync(`/proc/${pid}/attr/apparmor/current`)
        ? await readFile(`/proc/${pid}/attr/apparmor/current`, 'utf8')
        : await readFile(`/proc/${pid}/attr/current`, 'utf8');
      expect(label.replace(/\0/g, '').trim()).toBe(`${profileName(name)} (enforce)`);
      const file = path.join(box.root, 'etc/apparmor.d/blueprint', profileName(name));
      expect(await readFile(file, 'utf8')).toContain(`profile ${profileName(name)} `);
      const i = await inspectService({ engine: box.engine, root: box.root }, name);
      expect(i.rating.items.find((r) => r.code.startsWith('apparmor'))).toMatchObject({
        code: 'apparmor-own-profile',
        points: 1,
        source: 'container',
      });
    },
  );
});
