/**
 * On-disk form of a collection file (checkpoints and snapshots; the write-ahead log is wal.ts):
 * "BPVEC1\n", u32 header length, header JSON (name, config, ids, labels, payloads, versions), the
 * vectors as little-endian float32 in header order, u32 CRC-32 of everything before.
 */
import type { Hash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeFileSync } from 'node:fs';
import { open as openAsync } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import type { CollectionConfig, Owner } from './collection.js';
import type { Payload } from './filter.js';
import { type PointId, parsePointId } from './ids.js';
import { checkMetadata, checkPayload } from './parse.js';

export const MAGIC = Buffer.from('BPVEC1\n');

export interface Header {
  name: string;
  config: CollectionConfig;
  payloadSchema: Record<string, unknown>;
  /** The consumer that made it (absent: the admin's, or from before owners were kept). */
  owner?: Owner;
  capacity: number;
  labels: number[];
  ids: PointId[];
  payloads: (Payload | null)[];
  versions: number[];
}

/**
 * What a collection file holds, taken while the collection does not change: the arrays are copied
 * (the payload objects are shared: a change replaces a payload, never edits it), so the file can be
 * written afterwards, a chunk at a time, while the collection takes further changes.
 */
export interface CollectionImage {
  name: string;
  config: CollectionConfig;
  payloadSchema: Record<string, unknown>;
  owner?: Owner;
  capacity: number;
  /** Per label; a free label has id undefined. */
  ids: (PointId | undefined)[];
  payloads: (Payload | undefined)[];
  versions: number[];
  vectors: Float32Array;
}

export { captureCollection } from './capture.js';

/** Labels per chunk of the header and of the vectors: one chunk is one turn of the event loop. */
const CHUNK = 1024;
/** ...and at most about this much of the header's payloads' text. */
const CHUNK_BYTES = 256 * 1024;

/**
 * The collection file in parts (MAGIC, header length, header JSON, vectors, CRC), in chunks of
 * CHUNK labels. The header is one JSON object (keys in the order of Header), built from per-chunk JSON.stringify calls so that no single call holds the thread.
 * `undefined` marks the end of a chunk: where a writer lets the event loop turn.
 */
export function* collectionFileParts(img: CollectionImage): Generator<Buffer | undefined> {
  const labels: number[] = [];
  for (let l = 0; l < img.ids.length; l++) if (img.ids[l] !== undefined) labels.push(l);
  const header: Buffer[] = [];
  const text = (s: string) => header.push(Buffer.from(s));
  const array = function* (key: string, at: (l: number) => unknown) {
    text(`,${JSON.stringify(key)}:[`);
    for (let i = 0; i < labels.length; i += CHUNK) {
      const json = JSON.stringify(labels.slice(i, i + CHUNK).map(at));
      text(`${i > 0 ? ',' : ''}${json.slice(1, -1)}`);
      yield;
    }
    text(']');
  };
  text(
    `{"name":${JSON.stringify(img.name)},"config":${JSON.stringify(img.config)},"payloadSchema":${JSON.stringify(img.payloadSchema)}${img.owner ? `,"owner":${JSON.stringify(img.owner)}` : ''},"capacity":${img.capacity}`,
  );
  yield* array('labels', (l) => l);
  yield* array('ids', (l) => img.ids[l]);
  // Payloads one by one, a chunk ending at CHUNK of them or CHUNK_BYTES of text: 1,024 payloads of
  // 100 KB were one 100 MB stringify in one turn (test/security/vectors-snapshot-header).
  text(',"payloads":[');
  let part: string[] = [];
  let bytes = 0;
  for (let i = 0; i < labels.length; i++) {
    const json = JSON.stringify(img.payloads[labels[i]!] ?? null);
    part.push(json);
    bytes += json.length;
    if (bytes >= CHUNK_BYTES || part.length === CHUNK || i === labels.length - 1) {
      text(`${i + 1 > part.length ? ',' : ''}${part.join(',')}`);
      part = [];
      bytes = 0;
      yield;
    }
  }
  text(']');
  yield* array('versions', (l) => img.versions[l] ?? 0);
  text('}');
  let crc = 0;
  const out = (b: Buffer) => {
    crc = crc32(b, crc);
    return b;
  };
  yield out(MAGIC);
  yield out(u32(header.reduce((n, b) => n + b.length, 0)));
  for (const b of header) {
    yield out(b); // its CRC too is a chunk's work
    yield;
  }
  const d = img.config.size;
  for (let i = 0; i < labels.length; i += CHUNK) {
    const part = labels.slice(i, i + CHUNK);
    if (part.at(-1)! - part[0]! === part.length - 1) {
      // Consecutive labels (no free label among them, as after a restore): the image's own bytes,
      // not a copy (a chunk's copy each, garbage until V8 collects it, doubled what a checkpoint
      // held: test/security/vectors-recover-memory.test.ts).
      const from = img.vectors.byteOffset + part[0]! * d * 4;
      yield out(Buffer.from(img.vectors.buffer, from, part.length * d * 4));
      yield;
      continue;
    }
    const vecs = new Float32Array(part.length * d);
    for (const [j, l] of part.entries()) vecs.set(img.vectors.subarray(l * d, (l + 1) * d), j * d);
    yield out(Buffer.from(vecs.buffer));
    yield;
  }
  yield u32(crc);
}

/**
 * Writes a collection file a chunk at a time (the event loop turns between chunks; the writes run
 * in libuv's threads) and fsyncs it. `afterFirstWrite` is the crash tests' hook into the middle;
 * `hash` takes every byte written (a snapshot's checksum, without reading the file back).
 */
export async function writeCollectionFile(
  path: string,
  img: CollectionImage,
  afterFirstWrite?: () => void,
  hash?: Hash,
): Promise<void> {
  const fh = await openAsync(path, 'w', 0o600);
  try {
    let batch: Buffer[] = [];
    let writes = 0;
    for (const p of collectionFileParts(img)) {
      if (p) {
        batch.push(p);
        hash?.update(p);
      } else if (batch.length === 0) await new Promise((r) => setImmediate(r));
      else {
        await fh.writev(batch);
        batch = [];
        if (writes++ === 0) afterFirstWrite?.();
      }
    }
    await fh.writev(batch);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync of a file or a folder (its entries) in libuv's threads. */
export async function fsyncAsync(path: string): Promise<void> {
  const fh = await openAsync(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Checks a collection file's frame only (magic, CRC of the whole, a header length that fits),
 * without parsing its header or copying its vectors: what a snapshot upload checks before writing
 * the file; the build that follows (snapshot-build.ts) checks the rest, from the same bytes.
 * readCollectionFile did it here, in one turn of the event loop, and threw its work away.
 */
export function checkCollectionFrame(buf: Buffer): void {
  if (buf.length < MAGIC.length + 8 || !buf.subarray(0, MAGIC.length).equals(MAGIC))
    throw new Error('not a vectors collection file');
  const body = buf.subarray(0, buf.length - 4);
  if (crc32(body) !== buf.readUInt32LE(buf.length - 4)) throw new Error('collection file checksum mismatch');
  if (MAGIC.length + 4 + body.readUInt32LE(MAGIC.length) > body.length)
    throw new Error('collection file header is longer than the file');
}

/**
 * Checks a collection file (magic, CRC, header, vector data length) and returns its parts, without
 * building anything: what a snapshot upload or recovery checks before it is logged and applied.
 */
export function readCollectionFile(buf: Buffer): { header: Header; vecs: Float32Array } {
  if (buf.length < MAGIC.length + 8 || !buf.subarray(0, MAGIC.length).equals(MAGIC))
    throw new Error('not a vectors collection file');
  const body = buf.subarray(0, buf.length - 4);
  if (crc32(body) !== buf.readUInt32LE(buf.length - 4)) throw new Error('collection file checksum mismatch');
  const hlen = body.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  const header = JSON.parse(body.subarray(start, start + hlen).toString('utf8')) as Header;
  const d = header.config.size;
  const raw = body.subarray(start + hlen);
  if (raw.length !== header.ids.length * d * 4)
    throw new Error('collection file has the wrong vector data length');
  const vecs = new Float32Array(raw.length / 4);
  Buffer.from(vecs.buffer).set(raw);
  return { header, vecs };
}

const FIELD_TYPES = ['keyword', 'integer', 'float', 'bool', 'geo', 'datetime', 'text', 'uuid'];

/**
 * A snapshot's header (a file a user may upload) held to the rules its parts have on the API: the
 * config's ranges, point ids, payloads (objects, not nested too deeply: see checkPayload), versions
 * and field index types. Before, ids such as {"a":1} or -5, payloads that were strings and payloads
 * nested past what JSON.stringify can write (every later checkpoint failed) were taken as they were.
 * A checkpoint's own file is the service's and is not checked again.
 */
export function checkSnapshot(h: Header): void {
  const work = checkSnapshotWork(h);
  while (!work.next().done);
}

/** checkSnapshot yielding every 64 points (snapshot-build.ts lets the event loop turn there). */
export function* checkSnapshotWork(h: Header): Generator<void, void, void> {
  const c = (h.config ?? {}) as Partial<CollectionConfig>;
  const whole = (v: unknown, min: number, max: number) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
  if (!whole(c.size, 1, 65_536) || !['Cosine', 'Dot', 'Euclid'].includes(c.distance as string))
    throw new Error('its config has no vector size of 1-65536 and distance Cosine, Dot or Euclid');
  if (!whole(c.fullScanThreshold, 0, 10_000_000)) throw new Error('its full scan threshold is out of range');
  if (c.metadata !== undefined) {
    try {
      checkMetadata(c.metadata);
    } catch (err) {
      throw new Error(
        `its collection metadata is refused: ${(err as Error).message.replace(/^Wrong input: /, '')}`,
      );
    }
  }
  const n = Array.isArray(h.ids) ? h.ids.length : -1;
  if (
    n < 0 ||
    !Array.isArray(h.payloads) ||
    h.payloads.length !== n ||
    !Array.isArray(h.versions) ||
    h.versions.length !== n
  )
    throw new Error('its ids, payloads and versions are not lists of one length');
  for (let i = 0; i < n; i++) {
    if ((i & 63) === 63) yield;
    h.ids[i] = parsePointId(h.ids[i]);
    if (h.payloads[i] !== null && h.payloads[i] !== undefined) checkPayload(h.payloads[i], `payloads[${i}]`);
    if (!whole(h.versions[i], 0, Number.MAX_SAFE_INTEGER))
      throw new Error(`versions[${i}] is not a whole number`);
  }
  const schema = h.payloadSchema ?? {};
  if (typeof schema !== 'object' || Array.isArray(schema))
    throw new Error('its payload schema is not an object');
  for (const [field, t] of Object.entries(schema)) {
    const type = t && typeof t === 'object' ? (t as { type?: unknown }).type : t;
    if (!FIELD_TYPES.includes(type as string))
      throw new Error(`field index ${JSON.stringify(field)} has an unknown type`);
  }
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

/** Writes a file and makes it durable before returning (tmp + fsync + rename is the caller's). */
export function writeDurable(path: string, data: Buffer | string): void {
  writeFileSync(path, data);
  fsyncPath(path);
}

export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
