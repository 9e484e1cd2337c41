/**
 * Memory admission counts a running service as holding the limit its container was started with
 * (the engine's HostConfig.Memory), not the one its plan would give it now. An llm that serves the
 * model-NAME packages (`memoryPerSetting.bytes: "model"`) has a limit made from the models
 * installed and its settings, but a model installed while it runs is served only from its next
 * restart (docs/package-mounts.md), and a setting changed without --restart waits for it too. The
 * limit recalculated from what is installed now made a running llm count as holding memory it
 * cannot take (another service's start refused for memory that was free), or less than it can (one
 * admitted into memory the llm may still take). `service inspect` says when the running limit is
 * not the one a restart gives, with the restart.
 *
 * Real Podman: the hello image as an llm-shaped service, the tiny llama imported by the real
 * `blueprint model import` (256 MiB: settings-memory-model-whole), then a header-only GGUF of a
 * 7B-shaped KV cache (32 layers, 8 KV heads of 128: 128 KiB a token). The box's memory is a
 * ROOT/proc/meminfo of the test's.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { AdmissionError, admitStart } from '../../src/core/services/admission.js';
import { llamaGguf } from '../helpers/gguf-bytes.js';
import { run, tempDir } from '../helpers/pkg.js';
import { F32 } from '../llm/helpers.js';
import { boxAvailableMiB, engineRecordedMemory } from './container-memory.js';
import { buildHello, engineUp, makeBox, type TestBox, uniqueName } from './helpers.js';
import { modelServingLlm, plannedLimit } from './llm-shaped.js';

const MiB = 1024 ** 2;

describe.skipIf(!engineUp)("memory admission counts a running service's real limit", () => {
  let box: TestBox | undefined;
  afterAll(async () => {
    await box?.cleanup();
  });

  it('a model imported after the llm started, and a setting lowered without a restart', async () => {
    box = await makeBox(await buildHello());
    const root = box.root;
    const llm = uniqueName('bpt-llmrun');
    const other = uniqueName('bpt-other');
    const { image: _image, ...shaped } = modelServingLlm();
    await box.install(llm, shaped);
    await box.install(other, { resources: { memory: '64m', cpus: 0.5, pids: 32 } });
    const models = openBox(root, { yes: true }).models;
    await models.import(F32, { name: 'tiny', license: 'MIT (test)' });
    const services = openBox(root).services;
    boxAvailableMiB(root, 4096);
    await services.start(llm);
    expect(await engineRecordedMemory(llm)).toBe(256 * MiB);

    // A 7B-shaped KV cache imported while it runs: 512 MiB at 4096 tokens, 160 MiB of runtime,
    // 62.5 MiB of logits; x 1.25, 960 MiB rounded up. Served (and held) from its next restart only.
    const file = path.join(tempDir('bp-admit-run-'), 'big.gguf');
    writeFileSync(file, llamaGguf(32, 8, 128));
    await models.import(file, { name: 'big', license: 'MIT (test)' });
    expect(await plannedLimit(root, llm)).toBe(960 * MiB);
    expect(await engineRecordedMemory(llm)).toBe(256 * MiB);

    // 512 MiB available: the llm may take at most 256 MiB less what it uses, so 64 MiB fits. Counted
    // at 960 MiB, nothing was left and the start was refused.
    boxAvailableMiB(root, 512);
    const verdict = await admitStart({ engine: box.engine, root }, other);
    expect(verdict.running.find((r) => r.name === llm)?.limitBytes).toBe(256 * MiB);
    expect(verdict.ok).toBe(true);
    const started = await run(['--root', root, 'service', 'start', other]);
    expect(started.code, started.stderr).toBe(0);

    // inspect: the limit the container has, the one its restart gives, and the restart.
    const looked = await services.inspect(llm);
    expect(looked.policy.memoryBytes).toBe(960 * MiB);
    const differ = { memoryBytes: 256 * MiB, nextStartMemoryBytes: 960 * MiB };
    expect(looked.runningLimits).toEqual(differ);
    const shown = await run(['--root', root, 'service', 'inspect', llm]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(
      `runs with a memory limit of 256 MiB; its next start gives it 960 MiB: \`blueprint --root ${root} service restart ${llm}\``,
    );
    expect(shown.stdout).toMatch(/limits +memory 960 MiB,/);
    // The kernel holds it to the limit it was given: that is no failure.
    expect(shown.stdout).toMatch(/ok +memory limit 256 MiB/);
    const json = JSON.parse((await run(['--root', root, '--json', 'service', 'inspect', llm])).stdout);
    expect(json.runningLimits).toEqual(differ);
    // `service status NAME` says it under its table (and in --json); the list, which reads no models, does not.
    expect((await services.status(llm)).runningLimits).toEqual(differ);
    const status = await run(['--root', root, 'service', 'status', llm]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(
      `${llm}: runs with a memory limit of 256 MiB; its next start gives it 960 MiB: \`blueprint --root ${root} service restart ${llm}\``,
    );
    expect((await services.status(other)).runningLimits).toBeUndefined();

    // The reverse: restarted with both models (960 MiB), then LLM_CONTEXT lowered without a
    // restart: planned at 1024 tokens (128 MiB of KV cache, 448 MiB in all), it still holds 960.
    await services.stop(other);
    boxAvailableMiB(root, 4096);
    await services.restart(llm);
    expect(await engineRecordedMemory(llm)).toBe(960 * MiB);
    await services.configure(llm, { set: { LLM_CONTEXT: '1024' } });
    expect(await plannedLimit(root, llm)).toBe(448 * MiB);
    // 600 MiB available, the llm may take up to 960 MiB less its use: nothing is left for 64 MiB.
    // Counted at 448 MiB, 152 MiB were left and the start was admitted.
    boxAvailableMiB(root, 600);
    const err = await services.start(other).catch((e) => e);
    expect(err).toBeInstanceOf(AdmissionError);
    expect(err.message).toMatch(new RegExp(`running: ${llm} limit 0\\.94 GiB`));
    const again = await run(['--root', root, 'service', 'inspect', llm]);
    expect(again.stdout).toContain(`runs with a memory limit of 960 MiB; its next start gives it 448 MiB`);

    // Restarted, the running limit is the planned one: nothing to say.
    boxAvailableMiB(root, 4096);
    await services.restart(llm);
    expect(await engineRecordedMemory(llm)).toBe(448 * MiB);
    expect((await services.inspect(llm)).runningLimits).toBeUndefined();
    expect((await services.status(llm)).runningLimits).toBeUndefined();
    await services.stop(llm);
  }, 240_000);
});
