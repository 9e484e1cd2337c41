import { describe, expect, it } from 'vitest';
import { BlueprintError, ExitCode } from '../../src/core/errors.js';
import type { GpuAccessPlan } from '../../src/core/gpu/types.js';
import { MODULE_LABEL, NO_GPU, SPEC_LABEL, sandboxPolicy } from '../../src/core/services/policy.js';
import { parseService } from '../../src/core/services/schema.js';

const id = `sha256:${'a'.repeat(64)}`;
const base = { image: { id } };
const policy = (service: Record<string, unknown>, extra: Partial<Parameters<typeof sandboxPolicy>[0]> = {}) =>
  sandboxPolicy({
    root: '/box',
    name: 'demo',
    version: '1.2.3',
    prefix: '/box/opt/blueprint/demo/1.2.3',
    service: parseService({ ...base, ...service }),
    approvals: { outboundNetwork: false },
    gpu: NO_GPU,
    seccompProfile: '/box/var/lib/blueprint/services/seccomp.json',
    ...extra,
  });

function refusal(service: Record<string, unknown>): string {
  try {
    parseService({ ...base, ...service });
  } catch (err) {
    expect(err).toBeInstanceOf(BlueprintError);
    expect((err as BlueprintError).exitCode).toBe(ExitCode.verification);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('service schema', () => {
  it('names the field path in errors', () => {
    expect(refusal({ resources: { memory: 'lots' } })).toContain('service.resources.memory');
    expect(refusal({ resources: { pids: 2 } })).toContain('service.resources.pids');
    expect(refusal({ image: { id: 'latest' } })).toContain('service.image.id');
    expect(refusal({ gpu: 'maybe' })).toContain('service.gpu');
  });

  it('refuses privileged mode, host network, host paths, ports and extra capabilities', () => {
    expect(refusal({ privileged: true })).toContain('service.privileged: privileged mode is never allowed');
    expect(refusal({ network: 'host' })).toMatch(/service\.network: .*host network is never allowed/);
    expect(refusal({ hostNetwork: true })).toContain('service.hostNetwork');
    expect(refusal({ mounts: [{ source: '/etc', target: '/host-etc' }] })).toContain(
      'service.mounts.0.source: host paths are refused',
    );
    expect(refusal({ mounts: [{ source: '../../../etc', target: '/x' }] })).toContain(
      'service.mounts.0.source',
    );
    expect(refusal({ mounts: [{ source: 'models', target: '/proc/x' }] })).toContain(
      'service.mounts.0.target',
    );
    expect(refusal({ volumes: ['/:/host'] })).toContain('service.volumes: host paths are refused');
    expect(refusal({ ports: ['8080:80'] })).toContain('service.ports');
    expect(refusal({ capAdd: ['NET_ADMIN'] })).toContain('service.capAdd');
    expect(refusal({ devices: ['/dev/mem'] })).toContain('service.devices');
    expect(refusal({ network: 'loopback-socket' })).toContain('service.socket: is required');
  });
});

describe('sandbox policy', () => {
  it('locks everything down by default and always sets limits', () => {
    const { spec, summary } = policy({});
    expect(spec).toMatchObject({
      privileged: false,
      cap_drop: ['all'],
      no_new_privileges: true,
      read_only_filesystem: true,
      seccomp_profile_path: '/box/var/lib/blueprint/services/seccomp.json',
      userns: { nsmode: 'auto', value: 'size=65536' },
      idmappings: { AutoUserNs: true, AutoUserNsOpts: { Size: 65536 } },
      netns: { nsmode: 'none' },
      pidns: { nsmode: 'private' },
      ipcns: { nsmode: 'private' },
      utsns: { nsmode: 'private' },
      resource_limits: {
        memory: { limit: 256 * 1024 ** 2, swap: 256 * 1024 ** 2 },
        cpu: { quota: 100_000, period: 100_000 },
        pids: { limit: 256 },
      },
      r_limits: [
        { type: 'nofile', soft: 1024, hard: 1024 },
        { type: 'nproc', soft: 256, hard: 256 },
      ],
      stop_signal: 15,
      stop_timeout: 10,
      restart_policy: 'no', // blueprint service watch restarts, with backoff (restarts.ts)
      log_configuration: { driver: 'k8s-file', path: '/box/var/log/blueprint/services/demo.log' },
    });
    expect(spec).not.toHaveProperty('portmappings');
    expect(spec).not.toHaveProperty('cap_add');
    expect((spec.labels as Record<string, string>)[MODULE_LABEL]).toBe('demo');
    expect(spec.mounts).toEqual([
      {
        destination: '/tmp',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['rw', 'nosuid', 'nodev', 'noexec', 'size=64m'],
      },
    ]);
    expect(summary.capabilities).toBe('all dropped');
  });

  it('mounts the socket dir and data dir with :U, package files read-only', () => {
    const { spec, hostDirs } = policy({
      network: 'loopback-socket',
      socket: { dir: '/run/demo', file: 'api.sock' },
      data: '/var/lib/demo',
      mounts: [{ source: 'models/small', target: '/models' }],
    });
    expect(spec.netns).toEqual({ nsmode: 'none' });
    expect(hostDirs).toEqual(['/box/run/blueprint/services/demo', '/box/var/lib/blueprint/modules/demo']);
    expect(spec.mounts).toContainEqual({
      destination: '/run/demo',
      type: 'bind',
      source: '/box/run/blueprint/services/demo',
      options: ['rbind', 'rw', 'nosuid', 'nodev', 'U'],
    });
    expect(spec.mounts).toContainEqual({
      destination: '/models',
      type: 'bind',
      source: '/box/opt/blueprint/demo/1.2.3/models/small',
      options: ['bind', 'ro', 'nosuid', 'nodev'],
    });
    expect((spec.env as Record<string, string>).BLUEPRINT_SOCKET).toBe('/run/demo/api.sock');
  });

  it("names the module to itself in BLUEPRINT_MODULE, whatever the manifest's env says", () => {
    expect((policy({}).spec.env as Record<string, string>).BLUEPRINT_MODULE).toBe('demo');
    const { spec } = policy({ env: { BLUEPRINT_MODULE: 'rag', OTHER: 'x' } });
    expect(spec.env).toMatchObject({ BLUEPRINT_MODULE: 'demo', OTHER: 'x' });
  });

  it('gives outbound network only with the admin approval', () => {
    expect(() => policy({ network: 'outbound' })).toThrow(/not approved/);
    const { spec } = policy({ network: 'outbound' }, { approvals: { outboundNetwork: true } });
    expect(spec.netns).toEqual({ nsmode: 'bridge' });
  });

  it('applies the GPU plan verbatim (CDI devices and nodes through the libpod create call)', () => {
    const gpu: GpuAccessPlan = {
      use: true,
      vendor: 'nvidia',
      cdiDevices: ['nvidia.com/gpu=all'],
      devices: ['/dev/dri/renderD128'],
      reason: 'test',
    };
    const plan = policy({ gpu: 'optional', user: '1000:1000' }, { gpu });
    const { spec } = plan;
    expect(spec.devices).toEqual([{ path: 'nvidia.com/gpu=all' }, { path: '/dev/dri/renderD128' }]);
    // No group names (a FROM scratch image has no /etc/group): the nodes are shared by ACL with
    // the container's own group, recorded for removal.
    expect(spec).not.toHaveProperty('groups');
    expect(plan.deviceNodes).toEqual(['/dev/dri/renderD128']);
    expect((spec.labels as Record<string, string>)['org.blueprintos.device-gid']).toBe('1000');
    expect(spec.cap_drop).toEqual(['all']);
    expect(policy({}).spec).not.toHaveProperty('devices');
  });

  it('is deterministic, and the spec hash changes when the sandbox does', () => {
    const a = (policy({}).spec.labels as Record<string, string>)[SPEC_LABEL];
    expect((policy({}).spec.labels as Record<string, string>)[SPEC_LABEL]).toBe(a);
    expect(
      (policy({ resources: { memory: '512m' } }).spec.labels as Record<string, string>)[SPEC_LABEL],
    ).not.toBe(a);
  });
});

describe('registration versions', () => {
  it('orders versions numerically, a pre-release before its release', async () => {
    const { compareVersions } = await import('../../src/core/services/registry.js');
    const sorted = ['1.10.0', '1.2.0', '1.2.0-rc.1', '0.9.9', '1.2.1'].sort(compareVersions);
    expect(sorted).toEqual(['0.9.9', '1.2.0-rc.1', '1.2.0', '1.2.1', '1.10.0']);
  });

  it('orders pre-releases as semver (and bpkg) do: rc.9 before rc.10, numbers before words', async () => {
    const { compareVersions } = await import('../../src/core/services/registry.js');
    const { compare } = await import('semver');
    // Before: the pre-release compared as text, rc.10 before rc.9 (bpkg, semver, says the opposite).
    const sorted = [
      '1.0.0-rc.10',
      '1.0.0',
      '1.0.0-rc.9',
      '1.0.0-rc.9.1',
      '1.0.0-rc',
      '1.0.0-1',
      '1.0.0-rc.a',
    ].sort(compareVersions);
    expect(sorted).toEqual([
      '1.0.0-1',
      '1.0.0-rc',
      '1.0.0-rc.9',
      '1.0.0-rc.9.1',
      '1.0.0-rc.10',
      '1.0.0-rc.a',
      '1.0.0',
    ]);
    // Against semver itself, on versions of the shapes a manifest takes.
    const ids = ['0', '1', '2', '9', '10', '11', 'a', 'b', 'rc', 'alpha', 'beta', 'x-1'];
    const pick = (n: number) => ids[n % ids.length]!;
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    const version = () => {
      const core = `${next() % 3}.${next() % 12}.${next() % 3}`;
      const pre =
        next() % 3 === 0 ? '' : `-${Array.from({ length: 1 + (next() % 3) }, () => pick(next())).join('.')}`;
      return core + pre;
    };
    for (let i = 0; i < 5000; i++) {
      const a = version();
      const b = version();
      expect([a, b, Math.sign(compareVersions(a, b))]).toEqual([a, b, compare(a, b)]);
    }
  });
});
