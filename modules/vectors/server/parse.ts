/** Request bodies of the Qdrant API checked field by field: unknown or unsupported fields are a 400. */
import { HttpError } from '../../kit/server/index.js';
import type { CollectionConfig, Distance } from './collection.js';
import { type FilterContext, type Payload, type Predicate, parseFilter } from './filter.js';
import { type PointId, parsePointId } from './ids.js';
import { excluder, includer } from './payload-select.js';

export const bad = (message: string) => new HttpError(400, `Wrong input: ${message}`);
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Fields a client may send that change nothing here (one node, one shard, always waited for). */
const harmless = ['consistency', 'timeout', 'ordering', 'read_consistency', 'wait'];

export function body(v: unknown, allowed: string[], what: string): Record<string, unknown> {
  if (!isObject(v)) throw bad(`${what}: the body must be a JSON object`);
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined || x === null || allowed.includes(k) || harmless.includes(k)) continue;
    throw bad(`${what}: field "${k}" is not supported by this server (supported: ${allowed.join(', ')})`);
  }
  return v;
}

export function int(v: unknown, name: string, dflt: number, min = 0, max = 1_000_000): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw bad(`${name} must be an integer from ${min} to ${max}`);
  return v;
}

/**
 * What one answer may hold. It is built in the main thread's heap (objects, then one JSON text),
 * and running out of heap is fatal: the whole service gone, not a 4xx. Points: every search of a
 * batch together (limit + offset each, what the searches gather), as one search's `limit` is
 * bounded; before, a 4 MB batch of 20,000 searches for 2,000 points each ended the service.
 * Vector numbers (with_vector): 8M is ~64 MB of doubles and ~160 MB of JSON text (V8's longest
 * string is 512M characters); 100,000 points of 1,536 numbers would need 1.2 GB and 3 GB.
 */
export const MAX_ANSWER_POINTS = 100_000;
export const MAX_ANSWER_NUMBERS = 8_000_000;

/** Charges an answer's points and vector numbers, all the searches of a request together. */
export class AnswerBudget {
  private points = 0;
  private numbers = 0;
  /** The filters of a batch's searches count their conditions here, against one bound (filter.ts). */
  readonly filters = { conditions: 0 };
  take(points: number, numbers: number): void {
    this.points += points;
    this.numbers += numbers;
    if (this.points > MAX_ANSWER_POINTS)
      throw bad(
        `the answer would hold ${this.points} points (limit + offset of each search); at most ${MAX_ANSWER_POINTS} a request: ask in smaller batches or pages`,
      );
    if (this.numbers > MAX_ANSWER_NUMBERS)
      throw bad(
        `the answer would hold ${this.numbers} vector numbers (with_vector); at most ${MAX_ANSWER_NUMBERS} a request: ask for fewer points or without vectors`,
      );
  }
}

export function parseCollectionConfig(b: unknown): CollectionConfig {
  const o = body(
    b,
    [
      'vectors',
      'hnsw_config',
      'on_disk_payload',
      'optimizers_config',
      'wal_config',
      'shard_number',
      'replication_factor',
      'write_consistency_factor',
      'sparse_vectors',
      'metadata',
    ],
    'create collection',
  );
  const metadata = o.metadata === undefined || o.metadata === null ? undefined : checkMetadata(o.metadata);
  // `{"": {...}}`: the default vector by its name, "" (LangChain's Python QdrantVectorStore makes its
  // collections so, with `sparse_vectors: {}`); before, both were a 400 and its from_texts failed.
  const v = defaultVector(o.vectors);
  if (isObject(o.sparse_vectors) && Object.keys(o.sparse_vectors).length > 0)
    throw bad('sparse vectors are not supported by this server ("sparse_vectors" must be empty or absent)');
  if (o.sparse_vectors !== undefined && o.sparse_vectors !== null && !isObject(o.sparse_vectors))
    throw bad('"sparse_vectors" must be an object');
  if (!isObject(v) || !('size' in v))
    throw bad(
      '"vectors" must be {"size": N, "distance": "Cosine" | "Dot" | "Euclid"} (named vectors are not supported)',
    );
  const vb = body(v, ['size', 'distance', 'hnsw_config', 'on_disk'], 'vectors');
  const size = int(vb.size, 'vectors.size', 0, 1, 65_536);
  const distance = vb.distance as Distance;
  if (!['Cosine', 'Dot', 'Euclid'].includes(distance))
    throw bad(
      `vectors.distance must be Cosine, Dot or Euclid (got ${JSON.stringify(vb.distance)}; Manhattan is not supported)`,
    );
  const hnsw = {
    ...(isObject(o.hnsw_config) ? o.hnsw_config : {}),
    ...(isObject(vb.hnsw_config) ? vb.hnsw_config : {}),
  };
  body(hnsw, ['m', 'ef_construct', 'full_scan_threshold', 'on_disk', 'max_indexing_threads'], 'hnsw_config');
  for (const [k, n] of [
    ['shard_number', 1],
    ['replication_factor', 1],
    ['write_consistency_factor', 1],
  ] as const)
    if (o[k] !== undefined && o[k] !== null && o[k] !== n)
      throw bad(`${k} other than ${n} is not supported (one node, one shard)`);
  return {
    size,
    distance,
    m: int(hnsw.m, 'hnsw_config.m', 16, 4, 128),
    efConstruct: int(hnsw.ef_construct, 'hnsw_config.ef_construct', 100, 4, 4096),
    // Qdrant counts this in kilobytes of vectors (default 10000 KB); here it is points.
    fullScanThreshold: int(
      hnsw.full_scan_threshold,
      'hnsw_config.full_scan_threshold',
      10_000,
      0,
      10_000_000,
    ),
    ...(metadata ? { metadata } : {}),
  };
}

/**
 * Bytes of JSON a collection's metadata may take, merged with what it had: it is written into
 * every collection info answer, checkpoint and snapshot header. Qdrant sets no bound of its own.
 */
export const MAX_METADATA_BYTES = 256 * 1024;

/** Qdrant's collection `metadata` (a payload: a JSON object), at most MAX_METADATA_BYTES as JSON. */
export function checkMetadata(v: unknown): Payload {
  const m = checkPayload(v, 'metadata');
  const bytes = Buffer.byteLength(JSON.stringify(m));
  if (bytes > MAX_METADATA_BYTES)
    throw bad(
      `metadata takes ${bytes} bytes of JSON; a collection's metadata may take at most ${MAX_METADATA_BYTES} bytes (merged with what it has): keep large data in points' payloads`,
    );
  return m;
}

/**
 * Qdrant's default vector is the one named "": `{"": x}` is x. Any other name is not served here
 * (one vector a collection).
 */
export function defaultVector(v: unknown): unknown {
  if (!isObject(v) || 'size' in v) return v;
  const names = Object.keys(v);
  return names.length === 1 && names[0] === '' ? v[''] : v;
}

export function parseVector(v: unknown, size: number, what = 'vector'): number[] {
  v = defaultVector(v);
  if (isObject(v))
    throw bad(
      `${what}: named and sparse vectors are not supported (${Object.keys(v)
        .map((k) => JSON.stringify(k))
        .join(', ')}); send a list of ${size} numbers, or {"": [...]}`,
    );
  if (!Array.isArray(v)) throw bad(`${what} must be a list of ${size} numbers`);
  if (v.length !== size) throw bad(`Vector dimension error: expected dim: ${size}, got ${v.length}`);
  // An indexed loop: for-of would box each number of a double array (a search's hot path).
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) throw bad(`${what} must hold finite numbers only`);
  }
  return v as number[];
}

/**
 * A search vector in a client's own encoding (README, "A faster encoding for our own clients"): with
 * the request header `x-vector-encoding: float32-base64`, the `vector` of a search (the `query` or
 * `nearest` of a query) is the base64 text of `size` little-endian float32s, as the embeddings
 * module answers with `encoding_format: "base64"`. rag sends its query so, as it came: no decimal
 * text written for 384 numbers and parsed back (~0.1 ms a retrieval, issue 17). Qdrant's API is
 * untouched: without the header a string is a point id, as before.
 */
export const VECTOR_ENCODING = 'x-vector-encoding';
export const FLOAT32_BASE64 = 'float32-base64';

/** Whether the request asks for FLOAT32_BASE64 vectors (another value of the header: 400). */
export function vectorEncoding(headers: Record<string, string | string[] | undefined>): boolean {
  const e = headers[VECTOR_ENCODING];
  if (e === undefined) return false;
  if (e === FLOAT32_BASE64) return true;
  throw bad(`${VECTOR_ENCODING} ${JSON.stringify(e)} is not known; the one encoding is ${FLOAT32_BASE64}`);
}

/** Reused per search (a query vector is read out before anything awaits). */
let scratch = Buffer.allocUnsafeSlow(4096);

/** A FLOAT32_BASE64 vector as the numbers parseVector gives: the same checks, the same values. */
export function parseVectorBase64(v: unknown, size: number, what = 'vector'): number[] {
  if (typeof v !== 'string')
    throw bad(`${what} must be the base64 text of ${size} float32s (${VECTOR_ENCODING})`);
  const bytes = size * 4;
  // The text's length first: nothing longer than the vector is decoded.
  if (v.length !== Math.ceil(bytes / 3) * 4)
    throw bad(`Vector dimension error: expected dim: ${size}, got ${Math.floor((v.length * 3) / 16)}`);
  if (scratch.length < bytes) scratch = Buffer.allocUnsafeSlow(bytes);
  const n = scratch.write(v, 'base64');
  // Buffer.write passes over what is not base64: only text that encodes back the same is a vector.
  if (n !== bytes || scratch.toString('base64', 0, n) !== v) throw bad(`${what} is not canonical base64`);
  const out = new Array<number>(size);
  for (let i = 0; i < size; i++) {
    const x = scratch.readFloatLE(i * 4);
    if (!Number.isFinite(x)) throw bad(`${what} must hold finite numbers only`);
    out[i] = x;
  }
  return out;
}

/**
 * Levels of nesting a payload may have, the object itself being the first. JSON.parse takes any
 * depth; JSON.stringify and structured clone (the log record, checkpoints, answers, the body
 * worker's reply) fail at ~5,000 on the main thread, after the point was taken: a 500 that left the
 * log's sequence with a gap, checkpoints that never finished, a body worker whose reply never came.
 * Qdrant's own JSON parser stops at 128 levels for the whole request.
 */
export const MAX_PAYLOAD_DEPTH = 100;

/** True when `v` has objects or arrays nested more than `left` levels. */
function deeper(v: unknown, left: number): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (left === 0) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (deeper(v[i], left - 1)) return true;
    return false;
  }
  for (const k in v) if (deeper((v as Record<string, unknown>)[k], left - 1)) return true;
  return false;
}

/** A payload: a JSON object nested at most MAX_PAYLOAD_DEPTH levels. */
export function checkPayload(v: unknown, what: string): Payload {
  if (!isObject(v)) throw bad(`${what} must be a JSON object`);
  if (deeper(v, MAX_PAYLOAD_DEPTH)) throw bad(`${what} is nested more than ${MAX_PAYLOAD_DEPTH} levels deep`);
  return v;
}

function payloadOf(v: unknown, what: string): Payload | undefined {
  if (v === undefined || v === null) return undefined;
  return checkPayload(v, what);
}

/**
 * A collection name, whichever route it comes from (create, snapshot recover and upload). Names
 * become hex in file names (255 bytes at most: hex, '.', the operation number, '.hnsw'), so 100
 * bytes of UTF-8 leave room; a longer one made every checkpoint fail from then on. Control and
 * bidi characters would reach the log (and an admin's terminal) as they are.
 */
export function checkCollectionName(n: string): string {
  if (
    !/^[^/\\\0]+$/.test(n) ||
    Buffer.byteLength(n) > 100 ||
    n === '.' ||
    n === '..' ||
    /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(n)
  )
    throw bad(`collection name ${JSON.stringify(n)} is not allowed`);
  return n;
}

export function parseUpsert(
  b: unknown,
  size: number,
): { id: PointId; vector: number[]; payload?: Payload }[] {
  const o = body(b, ['points', 'batch'], 'upsert');
  if (Array.isArray(o.points)) {
    return o.points.map((p, i) => {
      const q = body(p, ['id', 'vector', 'payload'], `points[${i}]`);
      return {
        id: parsePointId(q.id),
        vector: parseVector(q.vector, size, `points[${i}].vector`),
        payload: payloadOf(q.payload, `points[${i}].payload`),
      };
    });
  }
  if (isObject(o.batch)) {
    const bt = body(o.batch, ['ids', 'vectors', 'payloads'], 'batch');
    bt.vectors = defaultVector(bt.vectors);
    if (!Array.isArray(bt.ids) || !Array.isArray(bt.vectors) || bt.ids.length !== bt.vectors.length)
      throw bad('batch needs "ids" and "vectors" of the same length');
    const payloads = bt.payloads;
    if (
      payloads !== undefined &&
      payloads !== null &&
      (!Array.isArray(payloads) || payloads.length !== bt.ids.length)
    )
      throw bad('batch.payloads must have one entry per id');
    return bt.ids.map((id, i) => ({
      id: parsePointId(id),
      vector: parseVector((bt.vectors as unknown[])[i], size, `batch.vectors[${i}]`),
      payload: payloadOf((payloads as unknown[] | undefined)?.[i], `batch.payloads[${i}]`),
    }));
  }
  throw bad('upsert needs "points": [{"id", "vector", "payload"}] or "batch"');
}

export function parseIds(v: unknown, what: string): PointId[] {
  if (!Array.isArray(v)) throw bad(`${what} must be a list of point ids`);
  return v.map(parsePointId);
}

/** Points chosen by "points" (ids) or "filter" (delete, payload changes). */
export function parseSelector(
  o: Record<string, unknown>,
  ctx: FilterContext = {},
): { ids?: PointId[]; filter?: Predicate } {
  if (o.points !== undefined && o.points !== null) {
    if (isObject(o.points) && 'filter' in o.points)
      return { filter: parseFilter(o.points.filter, 0, undefined, ctx) };
    return { ids: parseIds(o.points, 'points') };
  }
  if (o.filter !== undefined && o.filter !== null)
    return { filter: parseFilter(o.filter, 0, undefined, ctx) };
  throw bad('give "points" (a list of ids) or "filter"');
}

export type PayloadSelector = (p: Payload | undefined) => Payload | null;

export function parseWithPayload(v: unknown, dflt: boolean): PayloadSelector {
  if (v === undefined || v === null) v = dflt;
  if (v === true) return (p) => p ?? {};
  if (v === false) return () => null;
  // Paths, as Qdrant takes them (payload-select.ts), not only top-level keys.
  const paths = (x: unknown): x is string[] => Array.isArray(x) && x.every((k) => typeof k === 'string');
  // Cut into steps once, not for each point answered.
  if (paths(v)) {
    const keep = includer(v);
    return (p) => keep(p ?? {});
  }
  if (isObject(v)) {
    const o = body(v, ['include', 'exclude'], 'with_payload');
    const { include, exclude } = o;
    const select = paths(include) ? includer(include) : paths(exclude) ? excluder(exclude) : undefined;
    if (select) return (p) => select(p ?? {});
  }
  throw bad('with_payload must be true, false, a list of fields or {"include"|"exclude": [...]}');
}

export function parseWithVector(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  throw bad('with_vector must be true or false (named vectors are not supported)');
}
