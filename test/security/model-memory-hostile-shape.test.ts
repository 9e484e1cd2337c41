/**
 * REVIEW8: `memoryPerSetting.bytes: "model"` reads each mounted model's GGUF header and takes the
 * largest KV-cache figure (services/model-memory.ts). One model whose header gives a float
 * `attention.key_length` of NaN (or one that makes the figure NaN) turned the largest into NaN,
 * whatever the other models said (Math.max with NaN is NaN), and the service's limit then did not
 * grow at all: a context the real model cannot have was admitted. A figure that is not a finite,
 * positive number is now passed over: the other models' figure stands.
 * Hand-written GGUF headers (test/helpers/gguf-bytes), read by the real reader.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelBytesPerToken } from '../../src/core/services/model-memory.js';
import type { PlannedPackageMount } from '../../src/core/services/package-mounts.js';
import { str, u32, u64 } from '../helpers/gguf-bytes.js';
import { tempDir } from '../helpers/pkg.js';

const kvU32 = (key: string, n: number) => Buffer.concat([str(key), u32(4), u32(n)]);
const kvF32 = (key: string, n: number) => {
  const b = Buffer.alloc(4);
  b.writeFloatLE(n);
  return Buffer.concat([str(key), u32(6), b]);
};

/** A GGUF header of no tensors: llama, 2 layers, 4 heads of 16 (2 of them KV): 256 bytes a token. */
function gguf(extra: Buffer[] = []): Buffer {
  const kvs = [
    Buffer.concat([str('general.architecture'), u32(8), str('llama')]),
    kvU32('llama.embedding_length', 64),
    kvU32('llama.attention.head_count', 4),
    kvU32('llama.attention.head_count_kv', 2),
    kvU32('llama.block_count', 2),
    ...extra,
  ];
  const head = Buffer.concat([Buffer.from('GGUF'), u32(3), u64(0n), u64(BigInt(kvs.length)), ...kvs]);
  // Its (empty) tensor data starts at the next multiple of 32.
  return Buffer.concat([head, Buffer.alloc((32 - (head.length % 32)) % 32)]);
}

function mounts(models: Record<string, Buffer>): PlannedPackageMount[] {
  const base = tempDir('bp-model-shape-');
  const packages = Object.entries(models).map(([name, bytes]) => {
    writeFileSync(path.join(base, `${name}.gguf`), bytes);
    return {
      name: `model-${name}`,
      version: '1.0.0',
      folder: name,
      source: base,
      path: `/models/${name}`,
      files: { [`models/${name}/${name}.gguf`]: '0'.repeat(64) },
    };
  });
  return [{ spec: {} as never, packages, refused: [] } as unknown as PlannedPackageMount];
}

describe("the memory a token takes, read from the mounted models' headers", () => {
  it('passes over a model whose shape gives no finite figure; the others stand', async () => {
    expect(await modelBytesPerToken(mounts({ real: gguf() }))).toBe(320);
    const hostile = gguf([kvF32('llama.attention.key_length', Number.NaN)]);
    expect(await modelBytesPerToken(mounts({ real: gguf(), zz: hostile }))).toBe(320);
    expect(await modelBytesPerToken(mounts({ aa: hostile, real: gguf() }))).toBe(320);
    expect(await modelBytesPerToken(mounts({ only: hostile }))).toBe(0);
  });
});
