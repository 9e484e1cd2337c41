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
}

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
  return { version, tensorCount, metadata, arrays, headerBytes: r.pos };
}
