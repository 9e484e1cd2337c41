/**
 * Large request bodies are parsed off the event loop. JSON.parse of a 32 MiB upsert holds a thread
 * for hundreds of milliseconds; on the main thread that would stall /health and every search. A
 * body over `OFF_LOOP_BYTES` goes to a worker thread (the kit's pool, started from the same bundle)
 * that decodes it, checks it, and for an upsert also writes the log record's JSON and its CRC, so
 * the main thread only stitches the sequence number on. Small bodies are parsed in place: a hop to
 * the worker costs more than they do.
 */
import { crc32 } from 'node:zlib';
import { HttpError, type Pool, parseJson, WorkerJobError } from '../../kit/server/index.js';
import type { Point } from './collection.js';
import type { Payload } from './filter.js';
import type { PointId } from './ids.js';
import { parseUpsert } from './parse.js';

export type BodyJob = { kind: 'json'; raw: Uint8Array } | { kind: 'upsert'; raw: Uint8Array; size: number };

/** An upsert's points in the log's JSON form (`points` key first, see persist.ts walUpsertRecord). */
export interface PointsJson {
  json: Uint8Array;
  /** CRC-32 of `{"points":` followed by `json`, to be continued over the rest of the record. */
  crc: number;
}

export const POINTS_HEAD = Buffer.from('{"points":');

interface UpsertResult extends PointsJson {
  ids: PointId[];
  payloads: (Payload | undefined)[];
  vectors: Float32Array;
}

/** The worker's side: one job, a body to decode and check. */
export function parseBodyJob(job: BodyJob): { value: unknown } | UpsertResult {
  const value = parseJson(Buffer.from(job.raw.buffer, job.raw.byteOffset, job.raw.byteLength));
  if (job.kind === 'json') return { value };
  const points = parseUpsert(value, job.size);
  const d = job.size;
  // Vectors travel back in one transferred array, not as 100k arrays of boxed numbers.
  const vectors = new Float32Array(points.length * d);
  for (const [i, p] of points.entries()) vectors.set(p.vector, i * d);
  const json = new TextEncoder().encode(JSON.stringify(points));
  return {
    ids: points.map((p) => p.id),
    payloads: points.map((p) => p.payload),
    vectors,
    json,
    crc: crc32(json, crc32(POINTS_HEAD)),
  };
}

/** What BodyParser.jsonNow gives for a body that is parsed in the worker (json() then). */
export const LATER: unique symbol = Symbol('parsed in the worker');

export interface BodyParser {
  json(raw: Buffer): Promise<unknown>;
  /** A body small enough to parse in place, parsed now (same errors as json()); else LATER. */
  jsonNow(raw: Buffer): unknown;
  upsert(raw: Buffer, size: number): Promise<{ points: Point[]; wal?: PointsJson }>;
  /** Bodies in the worker now, and parsed there since start (GET /telemetry). */
  readonly stats: { parsing: number; parsed: number };
}

export function bodyParser(pool: Pool<unknown> | undefined, offLoopBytes: number): BodyParser {
  const stats = { parsing: 0, parsed: 0 };
  const run = async (job: BodyJob) => {
    stats.parsing++;
    try {
      return await pool!.run(job);
    } catch (err) {
      // An HttpError thrown in the worker (400 for bad JSON, a wrong dimension…) keeps its status.
      if (err instanceof WorkerJobError && typeof err.fields.status === 'number')
        throw new HttpError(err.fields.status, err.message);
      throw err;
    } finally {
      stats.parsing--;
      stats.parsed++;
    }
  };
  const inWorker = (raw: Buffer) => pool !== undefined && raw.length > offLoopBytes;
  return {
    stats,
    jsonNow: (raw) => (inWorker(raw) ? LATER : raw.length === 0 ? {} : parseJson(raw)),
    async json(raw) {
      if (raw.length === 0) return {};
      if (!inWorker(raw)) return parseJson(raw);
      return ((await run({ kind: 'json', raw })) as { value: unknown }).value;
    },
    async upsert(raw, size) {
      if (!inWorker(raw)) return { points: parseUpsert(raw.length === 0 ? {} : parseJson(raw), size) };
      const r = (await run({ kind: 'upsert', raw, size })) as UpsertResult;
      const points = r.ids.map((id, i) => ({
        id,
        vector: r.vectors.subarray(i * size, (i + 1) * size),
        payload: r.payloads[i],
      }));
      return { points, wal: { json: r.json, crc: r.crc } };
    },
  };
}
