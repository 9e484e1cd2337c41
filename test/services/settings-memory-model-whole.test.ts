/**
 * The memory limit of an llm that serves the model-NAME packages (`memoryPerSetting.bytes:
 * "model"`) counts the whole of the largest model it mounts: its weights, its KV cache at the
 * configured LLM_CONTEXT x LLM_PARALLEL and the runtime's overhead, +25 % and rounded up to 64 MiB
 * as a built-in model's package figure is (modules/llm/package.ts memoryFor). It grew only by the
 * KV cache per token over the defaults, leaving the weights and the overhead to the package's
 * figure: the catalog's 2 GiB admitted and gave the container 2 GiB with a model of 4 GiB
 * installed, which the service then refused at its load. The plan (the container's limit),
 * `service inspect` and admission all read it from model-memory.ts, so they agree.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { AdmissionError } from '../../src/core/services/admission.js';
import { withSettingsOfModels } from '../../src/core/services/model-memory.js';
import type { PlannedPackageMount } from '../../src/core/services/package-mounts.js';
import { findRegistration } from '../../src/core/services/registry.js';
import { parseService } from '../../src/core/services/schema.js';
import { llamaGguf } from '../helpers/gguf-bytes.js';
import { run, tempDir } from '../helpers/pkg.js';
import { F32 } from '../llm/helpers.js';
import { engineUp, uniqueName } from './helpers.js';
import { boxWith200MiB, modelServingLlm, plannedLimit } from './llm-shaped.js';

const MiB = 1024 ** 2;
const name = uniqueName('bpt-llmwhole');
const spec = () => parseService(modelServingLlm());

describe("an llm serving model packages: its limit holds the largest model's weights, KV cache and overhead", () => {
  it.skipIf(!engineUp)(
    'the tiny llama: the runtime it needs, in the plan, inspect and admission',
    async () => {
      const root = await boxWith200MiB('bp-settings-whole-', name, spec(), async (r) => {
        const got = await openBox(r, { yes: true }).models.import(F32, {
          name: 'tiny',
          license: 'MIT (test)',
        });
        expect(got.package).toBe('model-tiny');
      });
      // 844,096 bytes of weights, 1 MiB of KV cache at 4096 tokens (2 layers x 2 KV heads of 16, F16
      // K and V), 160 MiB of runtime, the logits of a batch and 5 % of the weights: ~162 MiB, x 1.25
      // ~203 MiB, 256 MiB rounded up. It was the package's 64 MiB.
      expect(await plannedLimit(root, name)).toBe(256 * MiB);
      const shown = await run(['--root', root, 'service', 'inspect', name]);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toMatch(/limits +memory 256 MiB,/);
      // 200 MiB left on the box: refused before anything starts, with the whole figure.
      const err = await openBox(root)
        .services.start(name)
        .catch((e) => e);
      expect(err).toBeInstanceOf(AdmissionError);
      expect(err.message).toContain(`${name} needs 0.25 GiB of memory`);
    },
  );

  it('a 4 GiB model: its weights count, not only its KV cache a token', async () => {
    const root = await boxWith200MiB('bp-settings-whole-big-', name, spec());
    const reg = (await findRegistration(root, name))!;
    // A 7B-shaped header (32 layers, 8 KV heads of 128: 128 KiB a token) in a sparse 4 GiB file.
    const base = tempDir('bp-model-whole-');
    const file = path.join(base, 'big.gguf');
    writeFileSync(file, llamaGguf(32, 8, 128));
    execFileSync('truncate', ['-s', '4G', file]);
    const mounts: PlannedPackageMount[] = [
      {
        spec: { packages: 'model-*', source: 'models', target: '/models' },
        packages: [
          {
            name: 'model-big',
            version: '1.0.0',
            folder: 'big',
            source: base,
            path: '/models/big',
            files: { 'models/big/big.gguf': '0'.repeat(64) },
          },
        ],
        refused: [],
      },
    ];
    const limit = async (stored?: Record<string, string>) =>
      (await withSettingsOfModels(root, reg, stored, Promise.resolve(mounts))).spec.resources.memory;
    // 4096 MiB of weights + 512 MiB of KV cache at 4096 tokens + 160 MiB of runtime + 62.5 MiB of
    // logits (32,000 tokens x 512 x 4 bytes) + 204.8 MiB (5 % of the weights) = 5035.3 MiB; x 1.25
    // = 6294.1 MiB, 6336 MiB rounded up. The KV growth alone left it at the package's 64 MiB.
    expect(await limit()).toBe(6336 * MiB);
    // LLM_CONTEXT 8192: 512 MiB more KV cache (x 1.25: 640 MiB), 6976 MiB rounded up; more than the
    // package's figure grown by 4096 tokens x 160 KiB (64 + 640 MiB).
    expect(await limit({ LLM_CONTEXT: '8192' })).toBe(6976 * MiB);
  });
});
