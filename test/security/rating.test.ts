// Per-service security rating (issue 11): Home Assistant's add-on rating as the model, said point by
// point. The pure rule set first, then the facts read from a real container (Podman).
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintModule } from '../../src/core/modules/lint.js';
import { inspectService } from '../../src/core/services/inspect.js';
import { containerName } from '../../src/core/services/policy.js';
import {
  type ContainerFacts,
  capabilityNames,
  containerFacts,
  factsFromService,
  type Rating,
  rateService,
  type SandboxFacts,
} from '../../src/core/services/rating.js';
import { parseService } from '../../src/core/services/schema.js';
import { serviceStatus } from '../../src/core/services/status.js';
import { reasonText } from '../../src/present/rating.js';
import {
  buildHello,
  type HelloBuild,
  helloSource,
  makeBox,
  podman,
  type TestBox,
  uniqueName,
} from '../services/helpers.js';
import { frameWith, renderApp, sourcesFor, type } from '../tui/helpers.js';

const IMAGE = { archive: 'image.tar', id: `sha256:${'a'.repeat(64)}` };
const hello = parseService({
  image: IMAGE,
  network: 'loopback-socket',
  socket: { dir: '/run/hello', file: 'hello.sock' },
  data: '/var/lib/hello',
});
const noAppArmor = { mode: 'off', reason: 'kernel-has-no-apparmor' } as const;
const ownProfile = { mode: 'own-profile', profile: 'blueprint-hello' } as const;
const FPR = 'AB'.repeat(20);

const sum = (r: Rating) => r.items.reduce((n, i) => n + i.points, 0);
const item = (r: Rating, code: string) => r.items.find((i) => i.code === code);

/** The container as blueprint's sandbox makes it, as read from the engine and the kernel. */
function sandboxed(over: Partial<ContainerFacts> = {}): ContainerFacts {
  return {
    apparmor: noAppArmor,
    network: 'none',
    publishedPorts: 0,
    hostPid: false,
    capabilities: [],
    privileged: false,
    userNamespace: true,
    readOnlyRoot: true,
    seccomp: true,
    noNewPrivileges: true,
    devices: [],
    mounts: [
      { source: '/r/run/blueprint/services/hello', target: '/run/hello', mode: 'rw' },
      { source: '/r/var/lib/blueprint/modules/hello', target: '/var/lib/hello', mode: 'rw' },
    ],
    ...over,
  };
}

const manifest = (over: Partial<SandboxFacts> = {}): SandboxFacts => ({
  ...factsFromService(hello, {
    apparmor: noAppArmor,
    signer: FPR,
    sources: {
      '/run/hello': '/r/run/blueprint/services/hello',
      '/var/lib/hello': '/r/var/lib/blueprint/modules/hello',
    },
  }),
  ...over,
});

describe('rateService: the rules', () => {
  it('rates the example module 7 of 8 on a kernel without AppArmor, and says why point by point', () => {
    const r = rateService(manifest());
    expect(r).toMatchObject({ score: 7, max: 8, basis: 'manifest' });
    expect(sum(r)).toBe(r.score);
    expect(r.items.filter((i) => i.points !== 0).map((i) => [i.code, i.points])).toEqual([
      ['base', 5],
      ['apparmor-off', -1],
      ['no-host-network-no-ports', 2],
      ['signed', 1],
    ]);
    expect(item(r, 'apparmor-off')?.data).toEqual({ reason: 'kernel-has-no-apparmor' });
    expect(item(r, 'signed')?.data).toEqual({ signer: FPR });
    // The sandbox facts that cost nothing are listed too, so the admin sees what was checked.
    for (const code of [
      'no-capabilities',
      'user-namespace',
      'read-only-root',
      'seccomp-filter',
      'no-new-privileges',
      'no-network',
      'no-devices',
      'own-mount',
    ])
      expect(item(r, code), code).toMatchObject({ points: 0, source: 'manifest' });
  });

  it('gives +1 for its own AppArmor profile, 0 for the engine default; caps the score at 8', () => {
    const own = rateService(manifest({ apparmor: ownProfile }));
    expect(own.score).toBe(8);
    expect(item(own, 'apparmor-own-profile')?.points).toBe(1);
    expect(item(own, 'capped')).toMatchObject({ points: -1, data: { max: 8 } });
    expect(sum(own)).toBe(8);
    const dflt = rateService(manifest({ apparmor: { mode: 'engine-default', reason: 'parser-missing' } }));
    expect(dflt.score).toBe(8);
    expect(item(dflt, 'apparmor-engine-default')).toMatchObject({
      points: 0,
      data: { reason: 'parser-missing' },
    });
  });

  it('costs a point each for outbound network, a GPU and an unsigned package', () => {
    const r = rateService(manifest({ network: 'outbound', devices: ['/dev/dri/renderD128'], signer: null }));
    expect(r.score).toBe(4);
    expect(item(r, 'outbound-network')?.points).toBe(-1);
    expect(item(r, 'gpu-devices')).toMatchObject({ points: -1, data: { devices: '/dev/dri/renderD128' } });
    expect(item(r, 'unsigned')?.points).toBe(0);
  });

  it('takes what the running container has over what the manifest says', () => {
    const r = rateService(
      manifest(),
      sandboxed({
        capabilities: ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN', 'CAP_CHOWN'],
        hostPid: true,
        network: 'host',
        userNamespace: false,
        readOnlyRoot: false,
      }),
    );
    expect(r.basis).toBe('container');
    expect(sum(r)).toBe(r.score);
    expect(r.items.filter((i) => i.code === 'risky-capability').map((i) => i.data?.capability)).toEqual([
      'CAP_SYS_ADMIN',
      'CAP_NET_ADMIN',
    ]);
    expect(item(r, 'capability')).toMatchObject({ points: 0, data: { capability: 'CAP_CHOWN' } });
    expect(item(r, 'host-pid')).toMatchObject({ points: -2, source: 'container' });
    expect(item(r, 'host-network')).toMatchObject({ points: -1, source: 'container' });
    expect(item(r, 'no-host-network-no-ports')).toBeUndefined();
    expect(item(r, 'no-user-namespace')?.points).toBe(-1);
    expect(item(r, 'writable-root')?.points).toBe(-1);
    // 5 - 1 (AppArmor) + 1 (signed) - 2 (caps) - 2 (pid) - 1 (net) - 1 (userns) - 1 (root) = -2 -> 1
    expect(r.score).toBe(1);
    expect(item(r, 'floored')).toMatchObject({ points: 3, data: { min: 1 } });
  });

  it("counts the wiring's mounts as declared only from their own sources, read-only", () => {
    const wired = factsFromService(hello, {
      apparmor: noAppArmor,
      signer: FPR,
      sources: {
        '/run/hello': '/r/run/blueprint/services/hello',
        '/var/lib/hello': '/r/var/lib/blueprint/modules/hello',
      },
      uses: [
        { module: 'llm', source: '/r/run/blueprint/services/llm', target: '/run/blueprint/uses/llm' },
        {
          module: 'llm',
          source: '/r/run/blueprint/wiring/hello/llm.token',
          target: '/run/blueprint/tokens/llm',
        },
      ],
    });
    const base = sandboxed().mounts;
    const socket = {
      source: '/r/run/blueprint/services/llm',
      target: '/run/blueprint/uses/llm',
      mode: 'ro' as const,
    };
    const token = {
      source: '/r/run/blueprint/wiring/hello/llm.token',
      target: '/run/blueprint/tokens/llm',
      mode: 'ro' as const,
    };
    const good = rateService(wired, sandboxed({ mounts: [...base, socket, token] }));
    expect(good.items.filter((i) => i.code === 'uses-mount').map((i) => i.data?.module)).toEqual([
      'llm',
      'llm',
    ]);
    // The token is the consumer's own for a provider with clientTokens, never "llm's access token"
    // (QA15's walk: inspect said 'access token of notes' for notes-ui's own token).
    expect(good.items.filter((i) => i.code === 'uses-mount').map(reasonText)).toEqual([
      'socket folder of llm, read-only, as its uses declares: /r/run/blueprint/services/llm -> /run/blueprint/uses/llm (ro)',
      'its token for llm, read-only, as its uses declares: /r/run/blueprint/wiring/hello/llm.token -> /run/blueprint/tokens/llm (ro)',
    ]);
    expect(item(good, 'foreign-mount')).toBeUndefined();
    expect(good.score).toBe(rateService(manifest(), sandboxed()).score);
    // Attack: another file at the token's place, the socket folder writable, a module not used.
    const bad = rateService(
      wired,
      sandboxed({
        mounts: [
          ...base,
          { ...socket, mode: 'rw' },
          { ...token, source: '/etc/shadow' },
          { ...socket, source: '/r/run/blueprint/services/vectors', target: '/run/blueprint/uses/vectors' },
        ],
      }),
    );
    expect(bad.items.filter((i) => i.code === 'foreign-mount')).toHaveLength(3);
    expect(item(bad, 'uses-mount')).toBeUndefined();
  });

  it('rates 1 whatever else holds when the engine API or the whole hardware is reachable', () => {
    const api = rateService(
      manifest({ apparmor: ownProfile }),
      sandboxed({
        apparmor: ownProfile,
        mounts: [{ source: '/run/podman/podman.sock', target: '/run/podman.sock', mode: 'rw' }],
      }),
    );
    expect(api.score).toBe(1);
    expect(api.items.at(-1)).toMatchObject({ code: 'engine-api', source: 'container' });
    expect(sum(api)).toBe(1);
    const priv = rateService(manifest(), sandboxed({ privileged: true }));
    expect(priv.score).toBe(1);
    expect(item(priv, 'full-hardware-access')).toBeDefined();
    const dev = rateService(
      manifest(),
      sandboxed({ mounts: [{ source: '/dev', target: '/dev', mode: 'rw' }] }),
    );
    expect(dev.score).toBe(1);
  });

  it('costs a point for each mount that is not one the manifest declared', () => {
    const r = rateService(
      manifest(),
      sandboxed({
        mounts: [
          ...sandboxed().mounts,
          // Same target as the data folder, another source: not the service's own.
          { source: '/etc', target: '/etc-host', mode: 'ro' },
        ],
      }),
    );
    expect(item(r, 'foreign-mount')).toMatchObject({
      points: -1,
      data: { source: '/etc', target: '/etc-host' },
    });
    expect(r.score).toBe(6);
  });

  it('reads capabilities and namespaces from inspect data and the kernel view', () => {
    expect(capabilityNames('0000000000200000')).toEqual(['CAP_SYS_ADMIN']);
    expect(capabilityNames('00000000a80425fb')).toContain('CAP_NET_RAW');
    const facts = containerFacts(
      {
        AppArmorProfile: '',
        HostConfig: {
          NetworkMode: 'bridge',
          PidMode: 'host',
          Privileged: false,
          PortBindings: { '80/tcp': [{}] },
        },
        Mounts: [{ Source: '/srv', Destination: '/srv', RW: true }],
      },
      {
        capEff: '0000000000000000',
        capBnd: '0000000000001000',
        noNewPrivs: 1,
        seccomp: 2,
        mapsHostRoot: true,
        rootReadOnly: true,
        interfaces: ['lo', 'eth0'],
        apparmor: null,
        sharesHostPid: false,
        sharesHostNet: false,
      },
      { enabled: false, reason: 'kernel-has-no-apparmor' },
      'blueprint-x',
    );
    expect(facts).toMatchObject({
      network: 'outbound',
      publishedPorts: 1,
      hostPid: true,
      capabilities: ['CAP_NET_ADMIN'],
      userNamespace: false,
      apparmor: { mode: 'off', reason: 'kernel-has-no-apparmor' },
      mounts: [{ source: '/srv', target: '/srv', mode: 'rw' }],
    });
    const own = containerFacts(
      {},
      { ...kernelView(), apparmor: 'blueprint-x (enforce)' },
      { enabled: true },
      'blueprint-x',
    );
    expect(own.apparmor).toEqual({ mode: 'own-profile', profile: 'blueprint-x' });
    const other = containerFacts(
      {},
      { ...kernelView(), apparmor: 'containers-default-0.50 (enforce)' },
      { enabled: true },
      'blueprint-x',
    );
    expect(other.apparmor).toEqual({ mode: 'engine-default', profile: 'containers-default-0.50' });
    const complain = containerFacts(
      {},
      { ...kernelView(), apparmor: 'blueprint-x (complain)' },
      { enabled: true },
      'blueprint-x',
    );
    expect(complain.apparmor).toEqual({ mode: 'off', reason: 'complain-mode' });
    const unconfined = containerFacts(
      {},
      { ...kernelView(), apparmor: 'unconfined' },
      { enabled: true },
      'blueprint-x',
    );
    expect(unconfined.apparmor).toEqual({ mode: 'off', reason: 'unconfined' });
  });
});

function kernelView() {
  return {
    capEff: '0',
    capBnd: '0',
    noNewPrivs: 1,
    seccomp: 2,
    mapsHostRoot: false,
    rootReadOnly: true,
    interfaces: ['lo'],
    apparmor: null as string | null,
    sharesHostPid: false,
    sharesHostNet: false,
  };
}

describe('module lint', () => {
  it('rates the module as it would run on the appliance (own profile, signed by repo build)', async () => {
    const report = await lintModule(helloSource);
    expect(report.rating).toBeDefined();
    const r = report.rating!;
    expect(r.basis).toBe('manifest');
    expect(item(r, 'apparmor-own-profile')).toMatchObject({ points: 1, data: { assumed: true } });
    expect(item(r, 'signed')).toMatchObject({ points: 1, data: { signer: 'at-build' } });
    expect(r.score).toBe(8);
    expect(sum(r)).toBe(8);
  });
});

// Real engine: the rating of a running service comes from the container, not from its manifest.
const engineUp = existsSync(process.env.CONTAINER_HOST?.replace('unix://', '') ?? '/run/podman/podman.sock');

describe.skipIf(!engineUp)('the rating of a running service (real Podman)', () => {
  let build: HelloBuild;
  let box: TestBox;
  const name = uniqueName('rathello');

  beforeAll(async () => {
    build = await buildHello();
    box = await makeBox(build);
    await box.install(name);
  }, 120_000);
  afterAll(async () => {
    await box?.cleanup();
    if (build) await rm(build.dir, { recursive: true, force: true });
  });

  it('is from the manifest while stopped and from the inspected container once started', async () => {
    const deps = { engine: box.engine, root: box.root };
    const before = await inspectService(deps, name);
    expect(before.rating.basis).toBe('manifest');
    // The test box installs without a signed package database: no signature point, and it says so.
    expect(item(before.rating, 'unsigned')?.points).toBe(0);
    const { startService } = await import('../../src/core/services/lifecycle.js');
    await startService(deps, name);
    const i = await inspectService(deps, name);
    expect(i.rating.basis).toBe('container');
    for (const code of [
      'user-namespace',
      'read-only-root',
      'seccomp-filter',
      'no-new-privileges',
      'no-capabilities',
    ])
      expect(item(i.rating, code), code).toMatchObject({ points: 0, source: 'container' });
    expect(i.rating.items.filter((x) => x.code === 'own-mount')).toHaveLength(2);
    expect(i.rating.score).toBe(sum(i.rating));
    const s = await serviceStatus(deps, name);
    expect(s.rating).toEqual(i.rating);

    // The console: the score on the service's row, every point behind Enter.
    const app = renderApp(sourcesFor(box.root));
    await type(app, '3');
    expect(await frameWith(app, name, 400)).toMatch(
      new RegExp(`${name}\\s+running\\s+${i.rating.score}/8\\s+1\\.0\\.0`),
    );
    await type(app, '\r');
    await frameWith(app, `Inspect ${name}`, 400);
    await type(app, ' ', ' ', ' '); // a page down each: the rating is at the end
    const shown = await frameWith(app, /Security rating: \d of 8/, 400);
    expect(shown).toContain(`Security rating: ${i.rating.score} of 8 (from the running container`);
    expect(shown).toMatch(/\+2 +no host network and no published ports/);
    app.unmount();
  }, 120_000);

  it('counts what a container swapped in under the service name really has', async () => {
    const deps = { engine: box.engine, root: box.root };
    await podman('rm', '-f', containerName(name));
    // Made behind blueprint's back: capabilities added, the host's PID namespace, a writable root.
    await podman(
      'run',
      '-d',
      '--name',
      containerName(name),
      '--label',
      `org.blueprintos.module=${name}`,
      '--cap-add',
      'SYS_ADMIN',
      '--cap-add',
      'NET_ADMIN',
      '--pid',
      'host',
      '-v',
      `${box.root}:/hostroot:ro`,
      build.id,
      'stubborn',
    );
    const s = await serviceStatus(deps, name);
    expect(s.state).toBe('running');
    const r = s.rating;
    expect(r.basis).toBe('container');
    expect(
      r.items
        .filter((x) => x.code === 'risky-capability')
        .map((x) => x.data?.capability)
        .sort(),
    ).toEqual(['CAP_NET_ADMIN', 'CAP_SYS_ADMIN']);
    expect(item(r, 'host-pid')).toMatchObject({ points: -2, source: 'container' });
    expect(item(r, 'writable-root')).toMatchObject({ points: -1, source: 'container' });
    expect(item(r, 'foreign-mount')).toMatchObject({ points: -1, data: { target: '/hostroot', mode: 'ro' } });
    expect(r.score).toBe(1);
    await podman('rm', '-f', '-t', '0', containerName(name));
  }, 120_000);
});
