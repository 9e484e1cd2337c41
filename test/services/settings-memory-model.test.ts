/**
 * The catalog's llm serves the model-NAME packages installed beside it, so its publisher cannot
 * know what a token of context costs: its manifest said nothing (`memoryPerSetting`), and memory
 * admission judged `service config llm LLM_CONTEXT=…` with the package's 2 GiB whatever the
 * context, a start admitted and then the model refused at load. `memoryPerSetting.bytes: "model"`
 * reads it from the mounted models' GGUF headers: a real model imported with `blueprint model
 * import` (the tiny llama the llm tests serve: 2 layers, 2 KV heads of 16 = 256 bytes of F16 KV
 * cache a token, 320 with the built-in model's 25 % headroom). And the limit is at least the
 * largest model's whole need at those settings (weights, KV cache, overhead: model-memory.ts
 * wholeNeed), which for this model is more than the llm-shaped service's 64 MiB grown by that figure.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { AdmissionError, admitStart } from '../../src/core/services/admission.js';
import { chooseSocket, openEngine } from '../../src/core/services/engine.js';
import { parseService } from '../../src/core/services/schema.js';
import { run } from '../helpers/pkg.js';
import { F32 } from '../llm/helpers.js';
import { engineUp, uniqueName } from './helpers.js';
import { boxWith200MiB, modelServingLlm, plannedLimit } from './llm-shaped.js';

const MiB = 1024 ** 2;
const PER_TOKEN = 320;
const name = uniqueName('bpt-llmmodel');
const spec = () => parseService(modelServingLlm());

/** The box, with the tiny llama imported by the real `blueprint model import` first when `withModel`. */
const box = (withModel: boolean) =>
  boxWith200MiB('bp-settings-model-', name, spec(), async (root) => {
    if (!withModel) return;
    const r = await run([
      '--root',
      root,
      'model',
      'import',
      F32,
      '--name',
      'tiny',
      '--license',
      'MIT (test)',
    ]);
    expect(r.code, r.stderr).toBe(0);
  });
const limit = (root: string) => plannedLimit(root, name);

describe('memory per setting read from the models a service mounts', () => {
  it.skipIf(!engineUp)('refuses a context the model cannot have in memory, admits one it can', async () => {
    const root = await box(true);
    const services = openBox(root).services;
    // The model's whole need at the default 4096 tokens, over the package's 64 MiB: 256 MiB
    // (settings-memory-model-whole.test.ts counts it).
    expect(await limit(root)).toBe(256 * MiB);
    // 131072 × 8 = 1,048,576 tokens: 256 MiB of KV cache (256 bytes a token), the weights and the
    // runtime's ~163 MiB, × 1.25: 576 MiB rounded up; more than the package's 64 MiB grown by
    // 1,044,480 tokens × 320 bytes (382.75 MiB), which was the limit before the whole was counted.
    await services.configure(name, { set: { LLM_CONTEXT: '131072', LLM_PARALLEL: '8' } });
    expect(await limit(root)).toBe(576 * MiB);
    expect(await limit(root)).toBeGreaterThan(64 * MiB + (131072 * 8 - 4096) * PER_TOKEN);
    const err = await services.start(name).catch((e) => e);
    expect(err).toBeInstanceOf(AdmissionError);
    expect(err.message).toContain(`${name} needs 0.56 GiB of memory`);
    // The built executable too (its model reader is a part loaded on demand).
    const cli = await run(['--root', root, 'service', 'start', name]);
    expect(cli.code, cli.stderr).not.toBe(0);
    expect(cli.stderr).toContain(`${name} needs 0.56 GiB of memory`);
    // 131072 × 2: 64 MiB of KV cache, 320 MiB in all, within 400 MiB left.
    await services.configure(name, { set: { LLM_PARALLEL: '2' } });
    writeFileSync(
      path.join(root, 'proc/meminfo'),
      'MemTotal: 4194304 kB\nMemFree: 1 kB\nMemAvailable: 409600 kB\n',
    );
    const engine = openEngine(chooseSocket(process.env).path);
    const verdict = await admitStart({ engine, root }, name);
    expect(verdict.ok).toBe(true);
    expect(verdict.needBytes).toBe(320 * MiB);
    expect(await limit(root)).toBe(verdict.needBytes);
    // The limit the container would get, as `service inspect` (the built executable) plans it.
    const shown = await run(['--root', root, 'service', 'inspect', name]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/limits +memory 320 MiB,/);
  });

  it('keeps the package figure with no model installed (nothing to foresee)', async () => {
    const root = await box(false);
    await openBox(root).services.configure(name, { set: { LLM_CONTEXT: '131072', LLM_PARALLEL: '8' } });
    expect(await limit(root)).toBe(64 * MiB);
  });
});
