import type { FileHandle } from 'node:fs/promises';
import { VerificationError } from '../errors.js';

/**
 * Reads the metadata of a GGUF file (llama.cpp's model format): the header and its key/value
 * pairs, not the tensors. `blueprint model import` needs three of them (the architecture, the
 * name and licence, the chat template) from a file handed over on a USB stick.
 *
 * Why not node-llama-cpp's `readGgufFileInfo`, as modules/llm/model-package.ts uses? That
 * library (and its native builds, tens of MiB) belongs to the llm module's image; the blueprint
 * executable is one esbuild bundle that starts in milliseconds and carries no native engine
 * (scripts/build.mjs). The header format is small and stable (GGUF v2/v3, little-endian), so
 * it is read here, bounded, and test/llm/model-import.test.ts checks this reader against
 * node-llama-cpp's on the same files.
 *
 * The input is untrusted: every length is checked against the bytes left in the file, counts
 * and string sizes are bounded, and arrays (the vocabulary) are skipped, not kept.
 */

export type GgufValue = string | number | bigint | boolean;

export interface GgufInfo {
  version: number;
  tensorCount: bigint;
  /** Scalar and string values by key; arrays are left out (`arrays` gives their lengths). */
  metadata: Map<string, GgufValue>;
  arrays: Map<string, bigint>;
  /** Bytes of header and metadata (where the tensor infos begin). */
  headerBytes: number;
  /**
   * Where the last tensor's data ends, from the file's start (the tensor table read and each
   * tensor's size from its type); undefined when a tensor's type is one not in GGML_BLOCKS.
   */
  tensorsEnd?: bigint;
  /** The model's parameters: every tensor's elements added up (as node-llama-cpp counts them). */
  parameters: bigint;
}

/**
 * ggml's types: [elements a block, bytes a block] (llama.cpp's type traits;
 * test/llm/model-import-truncated.test.ts compares them with llama.cpp's own).
 */
export const GGML_BLOCKS: Readonly<Record<number, readonly [number, number]>> = {
  0: [1, 4], // F32
  1: [1, 2], // F16
  2: [32, 18], // Q4_0
  3: [32, 20], // Q4_1
  6: [32, 22], // Q5_0
  7: [32, 24], // Q5_1
  8: [32, 34], // Q8_0
  9: [32, 36], // Q8_1
  10: [256, 84], // Q2_K
  11: [256, 110], // Q3_K
  12: [256, 144], // Q4_K
  13: [256, 176], // Q5_K
  14: [256, 210], // Q6_K
  15: [256, 292], // Q8_K
  16: [256, 66], // IQ2_XXS
  17: [256, 74], // IQ2_XS
  18: [256, 98], // IQ3_XXS
  19: [256, 50], // IQ1_S
  20: [32, 18], // IQ4_NL
  21: [256, 110], // IQ3_S
  22: [256, 82], // IQ2_S
  23: [256, 136], // IQ4_XS
  24: [1, 1], // I8
  25: [1, 2], // I16
  26: [1, 4], // I32
  27: [1, 8], // I64
  28: [1, 8], // F64
  29: [256, 56], // IQ1_M
  30: [1, 2], // BF16
  34: [256, 54], // TQ1_0
  35: [256, 66], // TQ2_0
  39: [32, 17], // MXFP4
  40: [64, 36], // NVFP4
  41: [128, 18], // Q1_0
  42: [64, 18], // Q2_0
};

/** ggml's GGML_MAX_DIMS: a tensor has at most 4 dimensions. */
const MAX_DIMS = 4;
/** Bytes of the smallest tensor-table entry: name length, dimension count, one dimension, type, offset. */
const MIN_TENSOR_INFO = 8 + 4 + 8 + 4 + 8;
/**
 * Tensors walked at most: real models have a few thousand (tens of thousands where each expert of
 * a mixture is a tensor of its own); the bytes left alone allowed 536 million in 16 GiB.
 */
const MAX_TENSORS = 1_048_576n;

const MAX_KV = 65_536;
const MAX_KEY = 65_536;
/** Strings longer than this (none of the keys blueprint reads) are skipped, not kept. */
const MAX_KEPT_STRING = 1024 * 1024;
const MAX_DEPTH = 4;
/**
 * Items of string and nested arrays walked in all (each must be read to find the next): real
 * models walk well under a million (the bound is 4,194,304; Gemma 3's 262,144 tokens, ~500,000 merges); counts checked
 * only against the bytes left let a 16 GiB file of empty strings walk 2 billion (~23 min).
 */
export const MAX_WALKED_ITEMS = 1 << 22;

const TYPE_SIZE: Record<number, number> = {
  0: 1,
  1: 1,
  2: 2,
  3: 2,
  4: 4,
  5: 4,
  6: 4,
  7: 1,
  10: 8,
  11: 8,
  12: 8,
};

const notGguf = (why: string) =>
  new VerificationError(
    `Not a GGUF model file: ${why}`,
    'not-gguf',
    'Give a .gguf file as llama.cpp writes it (GGUF version 2 or 3); nothing was imported.',
  );

/** Sequential reads through a buffer, never past the file's end. */
class Reader {
  private buf = Buffer.alloc(1024 * 1024);
  private start = 0; // file offset of buf[0]
  private end = 0; // valid bytes in buf
  pos = 0;
  /** Array items walked so far (MAX_WALKED_ITEMS). */
  walked = 0;

  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}

  private async ensure(n: number): Promise<void> {
    if (this.pos + n > this.size)
      throw notGguf('it ends inside its metadata (truncated, or a length is wrong)');
    if (this.pos >= this.start && this.pos + n <= this.start + this.end) return;
    if (n > this.buf.length) this.buf = Buffer.alloc(n);
    this.start = this.pos;
    const { bytesRead } = await this.fh.read(
      this.buf,
      0,
      Math.min(this.buf.length, this.size - this.pos),
      this.pos,
    );
    this.end = bytesRead;
    if (bytesRead < n) throw notGguf('it ends inside its metadata');
  }

  async bytes(n: number): Promise<Buffer> {
    await this.ensure(n);
    const off = this.pos - this.start;
    this.pos += n;
    return this.buf.subarray(off, off + n);
  }

  skip(n: bigint): void {
    if (BigInt(this.pos) + n > BigInt(this.size)) throw notGguf('a length points past its end');
    this.pos += Number(n);
  }

  async u32(): Promise<number> {
    return (await this.bytes(4)).readUInt32LE(0);
  }

  async u64(): Promise<bigint> {
    return (await this.bytes(8)).readBigUInt64LE(0);
  }

  /** A string's length, checked against what is left. */
  async stringLength(): Promise<bigint> {
    const n = await this.u64();
    if (n > BigInt(this.size - this.pos)) throw notGguf('a string is longer than the file');
    return n;
  }
}

async function readValue(r: Reader, type: number, depth: number): Promise<GgufValue | { array: bigint }> {
  const size = TYPE_SIZE[type];
  if (size !== undefined) {
    const b = await r.bytes(size);
    switch (type) {
      case 0:
        return b.readUInt8(0);
      case 1:
        return b.readInt8(0);
      case 2:
        return b.readUInt16LE(0);
      case 3:
        return b.readInt16LE(0);
      case 4:
        return b.readUInt32LE(0);
      case 5:
        return b.readInt32LE(0);
      case 6:
        return b.readFloatLE(0);
      case 7:
        return b.readUInt8(0) !== 0;
      case 10:
        return b.readBigUInt64LE(0);
      case 11:
        return b.readBigInt64LE(0);
      default:
        return b.readDoubleLE(0);
    }
  }
  if (type === 8) {
    const n = await r.stringLength();
    if (n > BigInt(MAX_KEPT_STRING)) {
      r.skip(n);
      return '';
    }
    return (await r.bytes(Number(n))).toString('utf8');
  }
  if (type === 9) {
    if (depth >= MAX_DEPTH) throw notGguf('arrays nested too deep');
    const elem = await r.u32();
    const count = await r.u64();
    const elemSize = TYPE_SIZE[elem];
    if (elemSize !== undefined) r.skip(count * BigInt(elemSize));
    else if (elem === 8 || elem === 9) {
      if (count > BigInt(r.size - r.pos)) throw notGguf('an array is longer than the file');
      r.walked += Number(count);
      if (r.walked > MAX_WALKED_ITEMS)
        throw notGguf(`its metadata arrays of text and arrays hold more than ${MAX_WALKED_ITEMS} items`);
      for (let i = 0n; i < count; i++) {
        if (elem === 8) r.skip(await r.stringLength());
        else await readValue(r, 9, depth + 1);
      }
    } else throw notGguf(`unknown array element type ${elem}`);
    return { array: count };
  }
  throw notGguf(`unknown value type ${type}`);
}

/** The header and metadata of the GGUF open at `fh` (of `size` bytes). */
export async function readGgufInfo(fh: FileHandle, size: number): Promise<GgufInfo> {
  const r = new Reader(fh, size);
  if (size < 24) throw notGguf('too short');
  const magic = (await r.bytes(4)).toString('latin1');
  if (magic !== 'GGUF') throw notGguf('it does not start with "GGUF"');
  const version = await r.u32();
  if (version !== 2 && version !== 3)
    throw notGguf(
      version > 0xffff
        ? 'it is big-endian (only little-endian GGUF is read)'
        : `version ${version} (versions 2 and 3 are read)`,
    );
  const tensorCount = await r.u64();
  const kvCount = await r.u64();
  if (kvCount > BigInt(MAX_KV)) throw notGguf(`${kvCount} metadata entries`);
  const metadata = new Map<string, GgufValue>();
  const arrays = new Map<string, bigint>();
  for (let i = 0; i < Number(kvCount); i++) {
    const keyLen = await r.stringLength();
    if (keyLen > BigInt(MAX_KEY)) throw notGguf('a metadata key is too long');
    const key = (await r.bytes(Number(keyLen))).toString('utf8');
    const value = await readValue(r, await r.u32(), 0);
    if (typeof value === 'object') arrays.set(key, value.array);
    else metadata.set(key, value);
  }
  if (typeof metadata.get('general.architecture') !== 'string')
    throw notGguf('it names no model architecture (general.architecture)');
  const headerBytes = r.pos;
  const { end: tensorsEnd, parameters } = await tensorDataEnd(
    r,
    tensorCount,
    metadata.get('general.alignment'),
  );
  if (tensorsEnd !== undefined && tensorsEnd > BigInt(size))
    throw new VerificationError(
      `The GGUF file is cut short: its tensors need ${tensorsEnd} bytes and it has ${size}`,
      'gguf-cut-short',
      "Copy it again (an interrupted download or copy leaves such a file) and compare its SHA-256 with the publisher's; nothing was imported.",
    );
  return {
    version,
    tensorCount,
    metadata,
    arrays,
    headerBytes,
    parameters,
    ...(tensorsEnd !== undefined ? { tensorsEnd } : {}),
  };
}

/**
 * Reads the tensor table after the metadata: each tensor's dimensions, type and offset into the
 * data, which starts at the next multiple of `general.alignment` (32 by default). Gives where the
 * last tensor's data ends, or undefined when a type is not one GGML_BLOCKS knows (its size is then
 * not known here; llama.cpp judges it at load), and the elements of all tensors (the parameters).
 */
async function tensorDataEnd(
  r: Reader,
  count: bigint,
  alignment: GgufValue | undefined,
): Promise<{ end: bigint | undefined; parameters: bigint }> {
  const whole =
    alignment === undefined ||
    typeof alignment === 'bigint' ||
    (typeof alignment === 'number' && Number.isInteger(alignment));
  const align = !whole ? 0n : alignment === undefined ? 32n : BigInt(alignment);
  if (align <= 0n || (align & (align - 1n)) !== 0n)
    throw notGguf(`its general.alignment ${String(alignment).slice(0, 64)} is not a power of two`);
  if (count > MAX_TENSORS) throw notGguf(`it lists ${count} tensors, more than ${MAX_TENSORS} tensors`);
  if (count * BigInt(MIN_TENSOR_INFO) > BigInt(r.size - r.pos))
    throw notGguf(`its ${count} tensors cannot fit in the file`);
  let end = 0n;
  let known = true;
  let parameters = 0n;
  for (let i = 0n; i < count; i++) {
    r.skip(await r.stringLength());
    const dims = await r.u32();
    if (dims === 0 || dims > MAX_DIMS) throw notGguf(`a tensor has ${dims} dimensions (1 to ${MAX_DIMS})`);
    let elements = 1n;
    let first = 0n;
    for (let d = 0; d < dims; d++) {
      const n = await r.u64();
      if (d === 0) first = n;
      elements *= n;
    }
    parameters += elements;
    const type = await r.u32();
    const offset = await r.u64();
    const block = GGML_BLOCKS[type];
    if (!block) {
      known = false;
      continue;
    }
    const [perBlock, bytes] = block;
    if (first % BigInt(perBlock) !== 0n)
      throw notGguf(`a tensor's rows (${first}) are not whole blocks of its type (${perBlock})`);
    const tensorEnd = offset + (elements / BigInt(perBlock)) * BigInt(bytes);
    if (tensorEnd > end) end = tensorEnd;
  }
  const dataStart = ((BigInt(r.pos) + align - 1n) / align) * align;
  return { end: known ? dataStart + end : undefined, parameters };
}
