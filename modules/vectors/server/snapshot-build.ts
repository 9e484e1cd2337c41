/**
 * A snapshot's collection built from its file as the file is read: once, in order, a chunk at a
 * time. Each chunk goes into the file's SHA-256 (what a recover's `checksum` is compared with),
 * its CRC-32 and then the new collection, so what is checked is exactly what is restored. The new
 * collection is only returned once the whole file checked out (its CRC at the end; the caller
 * compares the SHA-256): the collection it replaces is untouched until then (snapshots.ts swaps
 * it in through the log). Before, a recover read the whole file into memory and copied its
 * vectors out of it before building: with the collection itself (its arena and hnswlib's copy)
 * the peak was ~5 times the file (test/security/vectors-recover-memory.test.ts), enough to end
 * the service at its memory limit with a snapshot near the collection size limit.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { Collection, type Owner } from './collection.js';
import { ownerIn } from './consumer-purge.js';
import { parseHeader } from './header-parse.js';
import { pointKey } from './ids.js';
import { checkSnapshotWork, type Header, MAGIC } from './persist.js';
import { postingsParams } from './text-postings.js';

/** A header is read (and hashed) this much at a time. */
const HEADER_READ = 1024 * 1024;
/** Work on a header runs this long per turn of the event loop. */
const HEADER_SLICE_MS = 10;
const turn = () => new Promise((r) => setImmediate(r));

/** `work` HEADER_SLICE_MS at a time, the event loop turning between. */
async function inSlices<T>(work: Generator<void, T, void>): Promise<T> {
  for (;;) {
    const until = performance.now() + HEADER_SLICE_MS;
    for (;;) {
      const r = work.next();
      if (r.done) return r.value;
      if (performance.now() >= until) break;
    }
    await turn();
  }
}

/**
 * The field indexes of a collection no request sees yet (being restored or loaded), built from its
 * schema 10 ms of points at a time: a text index's tokenizing took 2.5 s in one turn at 100,000
 * points (text-postings.ts).
 */
async function indexesInSlices(c: Collection): Promise<void> {
  const labels = [...c.byKey.values()];
  for (const field of Object.keys(c.payloadSchema)) {
    c.fieldIndexes.create(field, postingsParams(c.payloadSchema[field]));
    let i = 0;
    while (i < labels.length) {
      const until = performance.now() + 10;
      do {
        const l = labels[i++]!;
        c.fieldIndexes.update(l, c.payloads[l], 1, field);
      } while (i < labels.length && performance.now() < until);
      if (i < labels.length) await new Promise((r) => setImmediate(r));
    }
  }
}

/** The bytes of a snapshot, handed out once, in order. */
export interface ByteSource {
  readonly size: number;
  /** Fills `into` with the next bytes; throws if there are not that many. */
  fill(into: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/**
 * A file opened once (the last part of its path no link), its size from that descriptor; every
 * byte read from that descriptor, in libuv's threads (the event loop turns between chunks). Only
 * a regular file (O_NONBLOCK: opening a FIFO put there would wait for a writer).
 */
export async function openFileSource(path: string): Promise<ByteSource> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  let size: number;
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
  } catch (err) {
    await fh.close();
    throw err;
  }
  let at = 0;
  return {
    size,
    async fill(into) {
      for (let done = 0; done < into.length; ) {
        const { bytesRead } = await fh.read(into, done, into.length - done, at);
        if (bytesRead === 0) throw new Error('the snapshot file got shorter while it was read');
        done += bytesRead;
        at += bytesRead;
      }
    },
    close: () => fh.close(),
  };
}

/** The owner a snapshot file names in its header (its vectors not read): a consumer's purge asks. */
export async function snapshotOwner(path: string): Promise<Owner | undefined> {
  const src = await openFileSource(path);
  try {
    return ownerIn(await new CollectionReader(src).head(false));
  } finally {
    await src.close();
  }
}

/** Bytes already in memory (tests: test/vectors/checkpoint.test.ts; an upload is streamed to a file). */
export function bufferSource(buf: Buffer): ByteSource {
  let at = 0;
  return {
    size: buf.length,
    async fill(into) {
      if (at + into.length > buf.length) throw new Error('not a vectors collection file');
      into.set(buf.subarray(at, at + into.length));
      at += into.length;
    },
    close: async () => {},
  };
}

/** Bytes of vectors read at once (at least one vector: up to 256 KiB at 65,536 dimensions). */
const CHUNK_BYTES = 1024 * 1024;
/** Inserts into a snapshot's graph per turn of the event loop, as the store's large upserts. */
const SLICE_MS = 10;

/** A collection file read once, in order: every byte into its SHA-256 and (but the last 4) its CRC. */
class CollectionReader {
  private readonly hash = createHash('sha256');
  private crc = 0;
  header!: Header;
  constructor(private readonly src: ByteSource) {}

  private async take(into: Uint8Array): Promise<Uint8Array> {
    await this.src.fill(into);
    this.hash.update(into);
    this.crc = crc32(into, this.crc);
    return into;
  }

  /** MAGIC, the header (held: the collection keeps what it holds anyway), the file's length. */
  async head(check: boolean): Promise<Header> {
    const size = this.src.size;
    const lead = Buffer.from(await this.take(new Uint8Array(MAGIC.length + 4)));
    if (size < MAGIC.length + 8 || !lead.subarray(0, MAGIC.length).equals(MAGIC))
      throw new Error('not a vectors collection file');
    const hlen = lead.readUInt32LE(MAGIC.length);
    if (hlen > size - MAGIC.length - 8) throw new Error('collection file has the wrong vector data length');
    // Read, hashed, parsed and checked a slice at a time (header-parse.ts): a header is as large
    // as the payloads, and in one turn each held the event loop (~1.8 s for 40 MB).
    const bytes = new Uint8Array(hlen);
    for (let at = 0; at < hlen; at += HEADER_READ) {
      await this.take(bytes.subarray(at, Math.min(hlen, at + HEADER_READ)));
      await turn();
    }
    const header = await inSlices(parseHeader(bytes));
    if (check) await inSlices(checkSnapshotWork(header));
    if (size !== MAGIC.length + 8 + hlen + header.ids.length * header.config.size * 4)
      throw new Error('collection file has the wrong vector data length');
    this.header = header;
    return header;
  }

  /** The vectors in header order, CHUNK_BYTES at a time: (first index, their floats), one buffer. */
  async *vectors(): AsyncGenerator<[number, Float32Array]> {
    const d = this.header.config.size;
    const n = this.header.ids.length;
    const per = Math.max(1, Math.floor(CHUNK_BYTES / (d * 4)));
    const scratch = new ArrayBuffer(Math.min(per, Math.max(1, n)) * d * 4);
    for (let i = 0; i < n; i += per) {
      const k = Math.min(per, n - i);
      await this.take(new Uint8Array(scratch, 0, k * d * 4));
      yield [i, new Float32Array(scratch, 0, k * d)];
    }
  }

  /** The CRC at the end checked; the SHA-256 of the whole file. */
  async end(): Promise<string> {
    const tail = new Uint8Array(4);
    await this.src.fill(tail);
    this.hash.update(tail);
    if (Buffer.from(tail).readUInt32LE(0) !== this.crc >>> 0)
      throw new Error('collection file checksum mismatch');
    return this.hash.digest('hex');
  }
}

/**
 * The collection a snapshot holds, named `name` (else as in the file), and the SHA-256 of every byte read. The file sets
 * the graph's parameters (m up to 128, ef_construct up to 4096, the API's ranges): its points go
 * into the graph SLICE_MS at a time, the event loop turning between slices (in one go, a 1 MB
 * file of 20,000 points held the main thread 64 s). Stops (its graph freed) when `signal` is
 * aborted (the client left) and on anything wrong with the file.
 */
export async function buildSnapshot(
  src: ByteSource,
  name?: string,
  signal?: AbortSignal,
): Promise<{ collection: Collection; sha256: string; owner: Owner | undefined }> {
  const r = new CollectionReader(src);
  const header = await r.head(true);
  const d = header.config.size;
  const c = new Collection(name ?? header.name, header.config, Math.max(1024, header.ids.length));
  try {
    for await (const [at, vecs] of r.vectors()) {
      // upsert copies each vector (into the arena and the graph): the buffer is refilled after.
      const k = vecs.length / d;
      for (let j = 0; j < k; ) {
        const until = performance.now() + SLICE_MS;
        do {
          const i = at + j;
          const point = { id: header.ids[i]!, vector: vecs.subarray(j * d, (j + 1) * d) };
          c.upsert({ ...point, payload: header.payloads[i] ?? undefined }, header.versions[i]!);
          j++;
        } while (j < k && performance.now() < until);
        if (j < k) await new Promise((r) => setImmediate(r));
        if (signal?.aborted) throw new Error('the client left while the snapshot was built');
      }
    }
    const sha256 = await r.end();
    c.payloadSchema = header.payloadSchema ?? {};
    await indexesInSlices(c);
    // The owner the file names is kept apart: a checkpoint's is its own; a restore's is who restored it.
    return { collection: c, sha256, owner: ownerIn(header) };
  } catch (err) {
    c.dispose();
    throw err;
  }
}

/**
 * A checkpoint's collection at start: its graph from the graph file written with it (labels kept),
 * its vectors read a chunk at a time straight into the arena. Before, the file was read whole and
 * its vectors copied out, then into a second arena (3 copies at once besides the graph: a start
 * peaked at 628 MiB for a 129 MiB collection), and the largest label was found by Math.max(...) of
 * every label, which throws past ~125k of them: a service that had checkpointed more points than
 * that could not start again. Without the graph file, a snapshot's build (its graph rebuilt).
 */
export async function loadCheckpoint(src: ByteSource, indexFile: string | undefined): Promise<Collection> {
  if (!indexFile) {
    const built = await buildSnapshot(src);
    built.collection.owner = built.owner;
    return built.collection;
  }
  const r = new CollectionReader(src);
  const header = await r.head(false);
  const d = header.config.size;
  // The graph file has the capacity the header records (both from the same checkpoint).
  const cap = Math.max(1024, header.capacity);
  const c = new Collection(header.name, header.config, cap);
  c.owner = ownerIn(header);
  try {
    c.index.load(indexFile, cap);
    const used = new Uint8Array(cap);
    let top = 0;
    for await (const [at, vecs] of r.vectors()) {
      for (let j = 0; j < vecs.length / d; j++) {
        const i = at + j;
        const l = header.labels[i]!;
        c.vectors.set(vecs.subarray(j * d, (j + 1) * d), l * d);
        c.ids[l] = header.ids[i];
        c.payloads[l] = header.payloads[i] ?? undefined; // indexed below, once all are in
        c.versions[l] = header.versions[i]!;
        c.byKey.set(pointKey(header.ids[i]!), l);
        used[l] = 1;
        if (l + 1 > top) top = l + 1;
      }
    }
    await r.end();
    for (let l = 0; l < top; l++) if (!used[l]) c.free.push(l);
    c.ids.length = Math.max(c.ids.length, top);
    // The field indexes are not in the file: rebuilt from the schema, as the log's "index" op does.
    c.payloadSchema = header.payloadSchema ?? {};
    await indexesInSlices(c);
    return c;
  } catch (err) {
    c.dispose();
    throw err;
  }
}
