/**
 * `blueprint service inspect NAME` of a module whose manifest requires a GPU, on a box without one:
 * inspect failed with the start's error ('This service needs a GPU…', exit 1), so the admin could
 * not look at the sandbox, the rating or why it would not start. Inspect is a look: it now shows what
 * it shows for any service (exit 0), the GPU plan said to be missing, and that `service start`
 * would refuse, with the start's own message and hint (--json: `startRefused`). Its rating is the
 * one `service status` gives (the manifest's GPU request counted, docs/security-rating.md).
 * `service start` still refuses as before. The CLI in this process; the box's root holds the
 * recorded fixture of a machine without a GPU (test/fixtures/gpu/none); Podman for the image.
 */
import { cp, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planGpuAccess } from '../../src/core/gpu/index.js';
import { inspectContainer } from '../../src/core/services/lifecycle.js';
import { serviceStatus } from '../../src/core/services/status.js';
import { runCliHere } from '../helpers/cli-here.js';
import { buildHello, type HelloBuild, makeBox, type TestBox, uniqueName } from '../services/helpers.js';
import { fixtureRoot } from './helpers.js';

const NO_GPU = 'This service needs a GPU, but no NVIDIA, AMD or Intel GPU was found on this box';
const HINT = 'Install it on a box with a supported GPU';
let build: HelloBuild;
let box: TestBox;
const name = uniqueName('bpt-insp-gpu');

beforeAll(async () => {
  build = await buildHello();
  box = await makeBox(build);
  await cp(fixtureRoot('none'), box.root, { recursive: true, verbatimSymlinks: true });
  await box.install(name, { gpu: 'required', justification: { gpu: 'Needs CUDA.' } });
}, 180_000);
afterAll(async () => {
  await box?.cleanup();
  if (build) await rm(build.dir, { recursive: true, force: true });
});

describe('service inspect of a gpu: required module on a box without a GPU', () => {
  it('shows the sandbox, the GPU as missing and that a start would refuse, exit 0', async () => {
    const r = await runCliHere(['--root', box.root, 'service', 'inspect', name]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`${name} 1.0.0: not created`);
    expect(r.out).toContain('Asked for (sandbox policy):');
    expect(r.out).toMatch(new RegExp(`gpu +missing: ${NO_GPU}`));
    expect(r.out).toContain(`\`blueprint --root ${box.root} service start ${name}\` would refuse it`);
    expect(r.out).toContain(HINT);
    expect(r.out).toMatch(/Security rating: \d of 8/);

    const json = await runCliHere(['--root', box.root, '--json', 'service', 'inspect', name]);
    expect(json.code, json.err).toBe(0);
    const i = JSON.parse(json.out);
    expect(i).toMatchObject({
      name,
      state: 'not created',
      startRefused: { code: 'gpu-required', message: NO_GPU, hint: expect.stringContaining(HINT) },
    });
    const deps = { engine: box.engine, root: box.root, planGpu: planGpuAccess };
    expect(i.rating).toEqual((await serviceStatus(deps, name)).rating);
  }, 120_000);

  it('service start still refuses, naming the missing GPU, and makes no container', async () => {
    const r = await runCliHere(['--root', box.root, '--json', 'service', 'start', name]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out || r.err)).toMatchObject({ error: { code: 'gpu-required', message: NO_GPU } });
    expect(await inspectContainer(box.engine, name, box.root)).toBeUndefined();
  }, 120_000);
});
