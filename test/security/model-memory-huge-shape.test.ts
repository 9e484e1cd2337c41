/**
 * REVIEW9: `memoryPerSetting.bytes: "model"` takes the largest KV-cache figure among the mounted
 * models' GGUF headers (services/model-memory.ts). f8fe5445 passed over a NaN figure; a finite but
 * absurd one still won the Math.max: a header (a file imported from a USB stick, or uploaded)
 * saying 2^64-1 layers and 2^32-1 KV heads of 2^32-1 values made the figure 1.7e39 bytes a token,
 * so once LLM_CONTEXT or LLM_PARALLEL is raised (the limit grows by the figure per unit over the
 * defaults) the llm's limit was ~1e42 bytes or more: its start refused for every model it serves,
 * not only that one, a running llm counted as holding that much against every other service's
 * admission, and `service start --force` gave the engine a limit no int64 holds. No model's one
 * token of context per sequence takes anywhere near 4 GiB (the largest known take a few MiB), so a figure over it is passed over as a NaN is: the other models' figure
 * stands, and that model is still judged at its load. Under the cap, the figure times the llm's
 * largest LLM_CONTEXT x LLM_PARALLEL (131072 x 8) stays an exact byte count (under 2^53).
 * Hand-written GGUF headers (test/helpers/gguf-bytes), read by the real reader; and end to end, the
 * absurd one imported by the real `blueprint model import` (it takes the 288-byte file) beside
 * the tiny llama, the limit an llm-shaped service's plan gives at LLM_CONTEXT 8192.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { modelBytesPerToken } from '../../src/core/services/model-memory.js';
import { parseService } from '../../src/core/services/schema.js';
import { architecture, ggufOf, kvU32, kvU64 } from '../helpers/gguf-bytes.js';
import { modelMounts } from '../helpers/model-mounts.js';
import { run, tempDir } from '../helpers/pkg.js';
import { F32 } from '../llm/helpers.js';
import { uniqueName } from '../services/helpers.js';
import { boxWith200MiB, modelServingLlm, plannedLimit } from '../services/llm-shaped.js';

/** A llama GGUF header of no tensors, `layers` deep, `kvHeads` KV heads of `headSize` values. */
const gguf = (layers: Buffer, kvHeads: number, headSize: number): Buffer =>
  ggufOf([
    architecture('llama'),
    kvU32('llama.embedding_length', 64),
    kvU32('llama.attention.head_count', 4),
    kvU32('llama.attention.head_count_kv', kvHeads),
    kvU32('llama.attention.key_length', headSize),
    layers,
  ]);

/** 2 layers, 2 KV heads of 16: 256 bytes a token, 320 with the headroom. */
const real = gguf(kvU32('llama.block_count', 2), 2, 16);
/** Llama 3.1 405B's shape: 126 layers, 8 KV heads of 128: 504 KiB a token, 630 with the headroom. */
const large = gguf(kvU32('llama.block_count', 126), 8, 128);
/** 2^64-1 layers (a u64), 2^32-1 KV heads of 2^32-1 values. */
const absurd = gguf(kvU64('llama.block_count', 2n ** 64n - 1n), 0xffffffff, 0xffffffff);
/** 2^20 layers of 2^16 heads of 2^16: 2^54 bytes a token, finite and a safe integer, and no model's. */
const huge = gguf(kvU32('llama.block_count', 2 ** 20), 2 ** 16, 2 ** 16);

const mounts = (models: Record<string, Buffer>) => modelMounts(models, 'bp-model-huge-');

describe("a mounted model whose header gives a figure no model's token takes", () => {
  it('is passed over: the other models figure stands', async () => {
    expect(await modelBytesPerToken(mounts({ real, zz: absurd }))).toBe(320);
    expect(await modelBytesPerToken(mounts({ aa: huge, real }))).toBe(320);
    expect(await modelBytesPerToken(mounts({ only: absurd }))).toBe(0);
  });

  it("still counts the largest real model's figure (control)", async () => {
    expect(await modelBytesPerToken(mounts({ large, real, zz: absurd }))).toBe(126 * 2 * 8 * 128 * 2 * 1.25);
  });
});

describe('end to end: an absurd header imported beside a real model', () => {
  it("leaves the llm-shaped service's limit grown by the real model's figure", async () => {
    const name = uniqueName('bpt-llmhuge');
    const file = path.join(tempDir('bp-model-huge-file-'), 'absurd.gguf');
    writeFileSync(file, absurd);
    const spec = parseService(modelServingLlm());
    const root = await boxWith200MiB('bp-model-huge-', name, spec, async (r) => {
      for (const [gguf, model] of [
        [F32, 'tiny'],
        [file, 'absurd'],
      ] as const) {
        const got = await run([
          '--root',
          r,
          'model',
          'import',
          gguf,
          '--name',
          model,
          '--license',
          'MIT (test)',
        ]);
        expect(got.code, got.stderr).toBe(0);
      }
    });
    await openBox(root).services.configure(name, { set: { LLM_CONTEXT: '8192' } });
    // The tiny llama's whole need at 8192 tokens (weights, KV cache, overhead, x 1.25: 256 MiB
    // rounded up; model-memory.ts wholeNeed, CATALOG2), more than 4096 tokens more than the default
    // x 320 bytes over the 64 MiB: the absurd header counts in neither.
    expect(await plannedLimit(root, name)).toBe(256 * 1024 ** 2);
  });
});
