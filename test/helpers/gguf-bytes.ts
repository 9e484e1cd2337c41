/** Little-endian fields of a GGUF file, for tests that write a header by hand. */

export const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};

export const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};

export const u64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
};

/** A GGUF string: its byte length (u64), then its UTF-8 bytes. */
export const str = (s: string): Buffer => Buffer.concat([u64(BigInt(Buffer.byteLength(s))), Buffer.from(s)]);

/** A metadata pair of a u32 value (GGUF type 4). */
export const kvU32 = (key: string, n: number): Buffer => Buffer.concat([str(key), u32(4), u32(n)]);

/** A metadata pair of a u64 value (GGUF type 10). */
export const kvU64 = (key: string, n: bigint): Buffer => Buffer.concat([str(key), u32(10), u64(n)]);

/** A metadata pair of a float32 value (GGUF type 6). */
export const kvF32 = (key: string, n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeFloatLE(n);
  return Buffer.concat([str(key), u32(6), b]);
};

/** `general.architecture`: a string pair (GGUF type 8). */
export const architecture = (name: string): Buffer =>
  Buffer.concat([str('general.architecture'), u32(8), str(name)]);

/**
 * A version-3 GGUF of no tensors holding these metadata pairs, padded with zeros to the next
 * multiple of 32, where its (empty) tensor data starts.
 */
export function ggufOf(kvs: Buffer[]): Buffer {
  const head = Buffer.concat([Buffer.from('GGUF'), u32(3), u64(0n), u64(BigInt(kvs.length)), ...kvs]);
  return Buffer.concat([head, Buffer.alloc((32 - (head.length % 32)) % 32)]);
}

/** A llama GGUF of no tensors: `layers` deep, `kvHeads` KV heads of `headSize` values (4 heads a KV head). */
export function llamaGguf(layers: number, kvHeads: number, headSize: number): Buffer {
  return ggufOf([
    architecture('llama'),
    kvU32('llama.embedding_length', kvHeads * headSize * 4),
    kvU32('llama.attention.head_count', kvHeads * 4),
    kvU32('llama.attention.head_count_kv', kvHeads),
    kvU32('llama.attention.key_length', headSize),
    kvU32('llama.block_count', layers),
  ]);
}
