import { statSync } from 'node:fs';
import { readGgufFileInfo } from 'node-llama-cpp';
import { describe, expect, it } from 'vitest';
import {
  admit,
  cgroupMemoryLimit,
  describeAdmission,
  modelNeeds,
  RUNTIME_BYTES,
  shapeFromMetadata,
} from '../../modules/llm/server/memory.js';
import { F32 } from './helpers.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

// Qwen2.5-0.5B-Instruct's published shape: 24 layers, 2 KV heads × 64, vocabulary 151,936.
const qwen05 = { weightsBytes: 491 * MiB, layers: 24, kvWidth: 2 * 64, vocab: 151_936 };
// Llama-2-7B: 32 layers, 32 KV heads × 128 (no GQA), Q4_K_M file 3.8 GiB.
const llama7b = { weightsBytes: 3.8 * GiB, layers: 32, kvWidth: 32 * 128, vocab: 32_000 };

describe('memory admission (weights + KV cache + overhead)', () => {
  it('reads the shape from the tiny model GGUF metadata', async () => {
    const info = await readGgufFileInfo(F32, { readTensorInfo: false, logWarnings: false });
    const shape = shapeFromMetadata(info.metadata as unknown as Record<string, unknown>, statSync(F32).size);
    // 2 layers, 2 KV heads of 64/4 = 16 dims, 1024 tokens.
    expect(shape).toEqual({ weightsBytes: statSync(F32).size, layers: 2, kvWidth: 32, vocab: 1024 });
  });

  it('KV cache is 2 × layers × context × parallel × kv width × bytes (llama.cpp F16 cache)', () => {
    // Llama-2-7B at 4096 tokens: the well-known 2 GiB of F16 KV cache.
    expect(modelNeeds(llama7b, { context: 4096, parallel: 1 }).kvCache).toBe(2 * GiB);
    // Qwen2.5-0.5B's GQA: 48 MiB for 4096 tokens; twice that for two sequences.
    expect(modelNeeds(qwen05, { context: 4096, parallel: 1 }).kvCache).toBe(48 * MiB);
    expect(modelNeeds(qwen05, { context: 4096, parallel: 2 }).kvCache).toBe(96 * MiB);
    const n = modelNeeds(qwen05, { context: 4096, parallel: 1 });
    expect(n.total).toBe(n.weights + n.kvCache + n.overhead);
    expect(n.overhead).toBeGreaterThan(RUNTIME_BYTES);
  });

  it('refuses a model that does not fit, with both numbers and what to do', () => {
    const needs = modelNeeds(llama7b, { context: 4096, parallel: 1 });
    const a = admit(needs, 6 * GiB, [512 * MiB, 1 * GiB], 4096);
    expect(a.ok).toBe(false);
    expect(a.have).toBe(4.5 * GiB);
    const line = describeAdmission(a, needs);
    expect(line).toMatch(/needs 6\d{3} MiB .* but only 4608 MiB is available/);
    expect(line).toMatch(/LLM_CONTEXT=\d+ fits/);
    expect(line).toMatch(/smaller quantisation/);
    expect(line).toMatch(/stopping a running service/);
    // The context it proposes really fits.
    const proposed = Number(/LLM_CONTEXT=(\d+)/.exec(line)![1]);
    expect(admit(modelNeeds(llama7b, { context: proposed, parallel: 1 }), 4.5 * GiB).ok).toBe(true);
  });

  it('admits a model that fits', () => {
    const needs = modelNeeds(qwen05, { context: 4096, parallel: 1 });
    const a = admit(needs, 2 * GiB, [], 4096);
    expect(a).toMatchObject({ ok: true, advice: [] });
    expect(describeAdmission(a, needs)).toMatch(/^memory: needs \d+ MiB .* of 2048 MiB$/);
  });

  it('reads the cgroup limit (v2, v1) and treats "max" as none', () => {
    const files = (m: Record<string, string>) => (f: string) => m[f];
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory.max': '2147483648\n' }))).toBe(2 * GiB);
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory.max': 'max\n' }))).toBeUndefined();
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '536870912' }))).toBe(
      512 * MiB,
    );
    expect(
      cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712' })),
    ).toBeUndefined();
  });
});
