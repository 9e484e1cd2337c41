// The security rating says the same of the same sandbox, stopped or running: stopped, it is what a
// start would apply (the same sandbox plan, GPU plan included); running, what the container has.
// Before: a `gpu: optional` service on a box without a usable GPU (embeddings, llm on the demo box)
// showed 6/8 stopped in `service status`/`list`/the console (the manifest's request counted as a
// device) and 7/8 once started (the container gets no device).
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planFromReport } from '../../src/core/gpu/plan.js';
import type { GpuAccessPlan } from '../../src/core/gpu/types.js';
import { inspectService } from '../../src/core/services/inspect.js';
import { containerFacts, factsFromService, rateService } from '../../src/core/services/rating.js';
import { parseService } from '../../src/core/services/schema.js';
import { serviceStatus } from '../../src/core/services/status.js';
import { buildHello, type HelloBuild, makeBox, type TestBox, uniqueName } from '../services/helpers.js';

const noAppArmor = { mode: 'off', reason: 'kernel-has-no-apparmor' } as const;
const KERNEL = {
  capEff: '0000000000000000',
  capBnd: '0000000000000000',
  noNewPrivs: 1,
  seccomp: 2,
  mapsHostRoot: false,
  rootReadOnly: true,
  interfaces: ['lo'],
  apparmor: null,
  sharesHostPid: false,
  sharesHostNet: false,
};
const GPU_OPTIONAL = {
  gpu: 'optional',
  justification: { gpu: 'Optional offload; runs on CPU without a GPU.' },
};
const codes = (r: { items: { code: string }[] }) => r.items.map((i) => i.code).sort();

describe('the same sandbox, the same score (pure)', () => {
  const spec = parseService({
    image: { archive: 'image.tar', id: `sha256:${'a'.repeat(64)}` },
    network: 'loopback-socket',
    socket: { dir: '/run/emb', file: 'api.sock' },
    gpu: 'optional',
  });
  const sources = { '/run/emb': '/r/run/blueprint/services/emb' };
  const inspect = (devices: string[]) => ({
    HostConfig: { NetworkMode: 'none', Devices: devices.map((d) => ({ PathInContainer: d })) },
    Mounts: [{ Type: 'bind', Source: '/r/run/blueprint/services/emb', Destination: '/run/emb', RW: true }],
  });
  const support = { enabled: false, reason: 'kernel-has-no-apparmor' } as const;

  for (const [box, plan] of [
    ['no usable GPU', planFromReport({ accelerators: [] } as never, 'optional')],
    [
      'an AMD GPU',
      {
        use: true,
        vendor: 'amd',
        cdiDevices: [],
        devices: ['/dev/kfd', '/dev/dri/renderD128'],
        reason: 'x',
      } as GpuAccessPlan,
    ],
  ] as const)
    it(`gpu: optional on a box with ${box}: the GPU plan's devices, stopped and running`, () => {
      const devices = [...plan.cdiDevices, ...plan.devices];
      const manifest = factsFromService(spec, {
        apparmor: noAppArmor,
        signer: 'F'.repeat(40),
        sources,
        devices,
      });
      const stopped = rateService(manifest);
      const running = rateService(
        manifest,
        containerFacts(inspect(devices), KERNEL, support, 'blueprint-emb'),
      );
      expect(stopped.score).toBe(running.score);
      expect(codes(stopped)).toEqual(codes(running));
      expect(stopped.score).toBe(plan.use ? 6 : 7);
    });
});

const engineUp = existsSync(process.env.CONTAINER_HOST?.replace('unix://', '') ?? '/run/podman/podman.sock');

describe.skipIf(!engineUp)('status, inspect and the running container agree (real Podman)', () => {
  let build: HelloBuild;
  let box: TestBox;
  const name = uniqueName('ratgpu');

  beforeAll(async () => {
    build = await buildHello();
    box = await makeBox(build);
    await box.install(name, GPU_OPTIONAL);
  }, 120_000);
  afterAll(async () => {
    await box?.cleanup();
    if (build) await rm(build.dir, { recursive: true, force: true });
  });

  it('rates a stopped gpu: optional service by the GPU plan a start would apply', async () => {
    // This box's GPU planner: no usable GPU (as on the demo box), so a start passes no device.
    const planGpu = async (_root: string, need: 'none' | 'optional' | 'required') =>
      planFromReport({ accelerators: [] } as never, need);
    const deps = { engine: box.engine, root: box.root, planGpu };
    const stopped = await serviceStatus(deps, name);
    expect(stopped.rating.basis).toBe('manifest');
    expect(stopped.rating.items.find((i) => i.code === 'gpu-devices')).toBeUndefined();
    expect(stopped.rating).toEqual((await inspectService(deps, name)).rating);

    const { startService } = await import('../../src/core/services/lifecycle.js');
    await startService(deps, name);
    const running = await serviceStatus(deps, name);
    expect(running.rating.basis).toBe('container');
    expect(running.rating.score).toBe(stopped.rating.score);
    expect(codes(running.rating)).toEqual(codes(stopped.rating));
  }, 120_000);

  it("rates a container still running the previous version by that version's sandbox after an upgrade", async () => {
    // llm on the demo box: 0.1.0 mounted its models folder at /models, 0.2.0 mounts model packages
    // below /models; 0.1.0's container, still running after the upgrade, lost a point ('foreign-mount').
    const old = uniqueName('ratupg');
    const deps = { engine: box.engine, root: box.root };
    const v1 = await box.install(old, {
      mounts: [{ source: 'extra', target: '/extra' }],
      justification: { mounts: 'Read-only files of its own package.' },
    });
    await mkdir(path.join(v1.prefix, 'extra'), { recursive: true });
    const { startService } = await import('../../src/core/services/lifecycle.js');
    await startService(deps, old);
    const before = (await serviceStatus(deps, old)).rating;
    expect(before.basis).toBe('container');
    expect(before.items.find((i) => i.code === 'foreign-mount')).toBeUndefined();

    // The upgrade: 2.0.0 installed (it declares no /extra), 1.0.0's container runs on.
    await box.install(old, {}, { version: '2.0.0' });
    const after = await serviceStatus(deps, old);
    expect([after.version, after.containerVersion, after.state]).toEqual(['2.0.0', '1.0.0', 'running']);
    expect(after.rating.items.find((i) => i.code === 'foreign-mount')).toBeUndefined();
    expect(after.rating).toEqual(before);
    expect((await inspectService(deps, old)).rating).toEqual(before);
  }, 120_000);
});
