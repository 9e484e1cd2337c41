/**
 * REVIEW8: `memoryPerSetting.bytes: "model"` reads each mounted model's GGUF header and takes the
 * largest KV-cache figure (services/model-memory.ts). One model whose header gives a float
 * `attention.key_length` of NaN (or one that makes the figure NaN) turned the largest into NaN,
 * whatever the other models said (Math.max with NaN is NaN), and the service's limit then did not
 * grow at all: a context the real model cannot have was admitted. A figure that is not a finite,
 * positive number is now passed over: the other models' figure stands.
 * Hand-written GGUF headers (test/helpers/gguf-bytes), read by the real reader.
 */
import { describe, expect, it } from 'vitest';
import { modelBytesPerToken } from '../../src/core/services/model-memory.js';
import { architecture, ggufOf, kvF32, kvU32 } from '../helpers/gguf-bytes.js';
import { modelMounts } from '../helpers/model-mounts.js';

/** A GGUF header of no tensors: llama, 2 layers, 4 heads of 16 (2 of them KV): 256 bytes a token. */
const gguf = (extra: Buffer[] = []): Buffer =>
  ggufOf([
    architecture('llama'),
    kvU32('llama.embedding_length', 64),
    kvU32('llama.attention.head_count', 4),
    kvU32('llama.attention.head_count_kv', 2),
    kvU32('llama.block_count', 2),
    ...extra,
  ]);

const mounts = (models: Record<string, Buffer>) => modelMounts(models, 'bp-model-shape-');

describe("the memory a token takes, read from the mounted models' headers", () => {
  it('passes over a model whose shape gives no finite figure; the others stand', async () => {
    expect(await modelBytesPerToken(mounts({ real: gguf() }))).toBe(320);
    const hostile = gguf([kvF32('llama.attention.key_length', Number.NaN)]);
    expect(await modelBytesPerToken(mounts({ real: gguf(), zz: hostile }))).toBe(320);
    expect(await modelBytesPerToken(mounts({ aa: hostile, real: gguf() }))).toBe(320);
    expect(await modelBytesPerToken(mounts({ only: hostile }))).toBe(0);
  });
});
