/**
 * What rag asks of the embeddings and vectors modules, in their own APIs: text-embeddings-inference
 * `/embed` (which refuses, rather than truncates, an input over the model's token limit) and
 * Qdrant's REST subset. One vectors collection per rag collection (`rag-NAME`; names.ts vectorsName,
 * store.ts records it), Cosine distance;
 * each point's payload names its document, so a document's chunks are found and removed by filter.
 */
import { createHash } from 'node:crypto';
import { HttpError } from '../../kit/server/index.js';
import { type Chunk, splitChunk } from './chunk.js';
import { legacyName } from './store.js';
import { type Upstream, UpstreamError, unavailable } from './upstream.js';

export interface EmbeddingInfo {
  model: string;
  dimensions: number;
  maxTokens: number;
  maxBatch: number;
  maxInputChars: number;
}

export class Embedder {
  private readonly up: Upstream;
  private cached?: { info: EmbeddingInfo; at: number };
  constructor(up: Upstream) {
    this.up = up;
  }

  /** The model's facts from its /info, asked again after a minute (the module may be upgraded). */
  async info(signal?: AbortSignal): Promise<EmbeddingInfo> {
    if (this.cached && Date.now() - this.cached.at < 60_000) return this.cached.info;
    const i = await this.up.call<Record<string, unknown>>('GET', '/info', undefined, signal);
    const num = (k: string, dflt?: number) => {
      const v = i[k];
      if (typeof v === 'number' && v > 0) return v;
      if (dflt !== undefined) return dflt;
      throw new HttpError(503, `the embeddings module's /info has no ${k}`);
    };
    const info = {
      model: String(i.model ?? 'unknown'),
      dimensions: num('dimension'),
      maxTokens: num('max_tokens'),
      maxBatch: num('max_batch', 32),
      maxInputChars: num('max_input_chars', 16_384),
    };
    this.cached = { info, at: Date.now() };
    return info;
  }

  /**
   * One query, truncated by the model if long (OpenAI route). Asked as base64 float32, as the
   * official OpenAI clients ask: the module then writes no decimal text and we parse none (a
   * quarter of a small request's time, see modules/embeddings/README.md); a module that answers
   * plain floats anyway is taken as well.
   */
  async query(text: string, signal?: AbortSignal): Promise<QueryVector> {
    const r = await this.up.call<{ data?: { embedding?: unknown }[] }>(
      'POST',
      '/v1/embeddings',
      { input: text, encoding_format: 'base64' },
      signal,
    );
    const embedding = r?.data?.[0]?.embedding;
    // Kept as the module sent it, for the search (VectorIndex.search): checked as vectorOf checks.
    if (typeof embedding === 'string' && isVectorText(embedding)) return embedding;
    const vector = vectorOf(embedding);
    if (!vector)
      throw unavailable('embeddings', 'it answered without a vector for the query', this.up.config.module);
    return vector;
  }

  /**
   * Embeds chunks without truncation: a batch the model refuses (413) is halved, and a single chunk
   * it refuses is split in two and both halves embedded. Returns the chunks actually embedded (as
   * many or more than given, in order) with their vectors.
   */
  async chunks(chunks: Chunk[], signal?: AbortSignal): Promise<{ chunk: Chunk; vector: number[] }[]> {
    if (chunks.length === 0) return [];
    try {
      const vectors = await this.up.call<number[][]>(
        'POST',
        '/embed',
        { inputs: chunks.map((c) => c.text), truncate: false },
        signal,
      );
      return chunks.map((chunk, i) => ({ chunk, vector: vectors[i]! }));
    } catch (err) {
      if (!(err instanceof UpstreamError) || err.status !== 413) throw err;
      if (chunks.length > 1) {
        const mid = Math.ceil(chunks.length / 2);
        return [
          ...(await this.chunks(chunks.slice(0, mid), signal)),
          ...(await this.chunks(chunks.slice(mid), signal)),
        ];
      }
      const halves = splitChunk(chunks[0]!);
      if (!halves)
        throw new HttpError(413, `a chunk cannot be made short enough for the model: ${err.message}`);
      return [...(await this.chunks([halves[0]], signal)), ...(await this.chunks([halves[1]], signal))];
    }
  }
}

/** Typed arrays are in the machine's byte order; the wire's float32s are little-endian. */
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Where a query's base64 vector is decoded: one buffer for the process, aligned for float32s
 * (allocUnsafeSlow: its own memory, offset 0), 4,096 dimensions; a longer vector gets one of its
 * own. vectorOf reads it out before it returns and nothing awaits between, so one is enough.
 */
const scratch = Buffer.allocUnsafeSlow(16 * 1024);
const scratchFloats = new Float32Array(scratch.buffer, scratch.byteOffset, scratch.length / 4);

/**
 * A query's vector: the base64 text of little-endian float32s the embeddings module answered
 * (checked by isVectorText), sent on to vectors as it is, or numbers.
 */
export type QueryVector = string | number[];

/**
 * Reads base64 text of little-endian float32s, each number to `put` in order; false when it is no
 * vector: text that does not encode back the same (Buffer.write skips what is not base64, and
 * stops where the buffer ends), not whole float32s, or a number that is not finite. Decoded into
 * the scratch buffer and read as float32s where they lie: no Buffer and Float32Array made a query,
 * and not Array.from, whose iteration over a typed array was most of vectorOf's time (a
 * retrieval's hot path, run cold between queries: ~85 → ~30 µs with 20 ms between calls,
 * modules/rag/README.md).
 */
function readFloats(text: string, put?: (x: number) => void): boolean {
  const room = Buffer.byteLength(text, 'base64');
  const bytes = room <= scratch.length ? scratch : Buffer.allocUnsafeSlow(room);
  const n = bytes.write(text, 'base64');
  if (n === 0 || n % 4 !== 0 || bytes.toString('base64', 0, n) !== text) return false;
  const floats = bytes === scratch ? scratchFloats : new Float32Array(bytes.buffer, bytes.byteOffset, n / 4);
  for (let i = 0; i < n / 4; i++) {
    const x = littleEndian ? floats[i]! : bytes.readFloatLE(i * 4);
    if (!Number.isFinite(x)) return false;
    put?.(x);
  }
  return true;
}

/** Base64 text that vectorOf reads as a vector, checked without making the array. */
export const isVectorText = (text: string): boolean => readFloats(text);

/** A vector from an OpenAI embedding: base64 of little-endian float32s, or numbers; else undefined. */
export function vectorOf(embedding: unknown): number[] | undefined {
  if (typeof embedding === 'string') {
    const out: number[] = [];
    return readFloats(embedding, (x) => out.push(x)) ? out : undefined;
  }
  if (!Array.isArray(embedding) || embedding.length === 0) return undefined;
  const v: unknown[] = embedding;
  const out = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) return undefined;
    out[i] = x;
  }
  return out;
}

export interface Hit {
  score: number;
  payload: Record<string, unknown>;
}

/** A stable point id (a UUID) for chunk `index` of document `id`. */
export function pointId(id: string, index: number): string {
  const h = createHash('sha256').update(`${id}:${index}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const byDocument = (id: string) => ({ must: [{ key: 'document', match: { value: id } }] });

/**
 * A retrieval's filter: `must`, and none of the `hidden` documents' chunks; none at all when
 * neither (an empty filter would have vectors test every point's payload before scoring).
 */
export function searchFilter(must: unknown[], hidden: string[]): Record<string, unknown> | undefined {
  if (!must.length && !hidden.length) return undefined;
  return {
    ...(must.length ? { must } : {}),
    ...(hidden.length ? { must_not: [{ key: 'document', match: { any: hidden } }] } : {}),
  };
}
const missing = (err: unknown) => err instanceof UpstreamError && err.status === 404;

/** The search vector as base64 float32s (modules/vectors/server/parse.ts VECTOR_ENCODING). */
const BASE64_VECTOR = { 'x-vector-encoding': 'float32-base64' };

/** The key of a vectors collection's metadata that names the rag that made it (its module's name). */
export const OWNER_KEY = 'blueprint-rag';
const keepFilter = (keep: string[]) =>
  keep.length ? { must_not: [{ key: 'document', match: { any: keep } }] } : {};

export class VectorIndex {
  private readonly up: Upstream;
  /** This rag's module name (names.ts moduleName): what its collections' metadata says. */
  readonly self: string;
  private readonly known = new Set<string>();
  /** The vectors module refused the base64 vector and took numbers: numbers from then on. */
  private numbersOnly = false;
  /** The vectors collection that holds a rag collection (store.ts vectorsName). */
  private readonly nameOf: (collection: string) => string;
  constructor(up: Upstream, nameOf: (collection: string) => string = legacyName, self = 'rag') {
    this.up = up;
    this.nameOf = nameOf;
    this.self = self;
  }

  private path(collection: string, rest = ''): string {
    return `/collections/${encodeURIComponent(this.nameOf(collection))}${rest}`;
  }

  /**
   * Creates the collection for this dimension, named as this rag's in its metadata, or checks the
   * one there: its dimension, and whose it is (`OWNER_KEY`). Another rag's is a 409; one naming no
   * rag is this one's only when `older` (recorded by a rag from before the metadata) or empty (then
   * named as this rag's); holding points, it is someone else's under that name (made through
   * vectors' API: the admin's `rag-notes`), not rag's to write to and then sweep (409).
   */
  async ensure(collection: string, dimensions: number, older: boolean, signal?: AbortSignal): Promise<void> {
    if (this.known.has(collection)) return;
    const there = await this.owner(collection, signal);
    if (!there) {
      const body = {
        vectors: { size: dimensions, distance: 'Cosine' },
        metadata: { [OWNER_KEY]: this.self },
      };
      await this.up.call('PUT', this.path(collection), body, signal).catch((err: unknown) => {
        // A vectors from before collection metadata (0.1.0, before cf3fce01) refuses the field: the
        // box's modules are out of step, not the admin's request. rag's `uses` asks for vectors
        // 0.2.0, so bpkg and service start refuse that pair first; this is for one got round them.
        if (
          err instanceof UpstreamError &&
          err.status === 400 &&
          /field "metadata" is not supported/.test(err.message)
        )
          throw new HttpError(
            503,
            `the vectors module is older than this rag: it keeps no collection metadata, which rag names its collections in; upgrade it: bpkg upgrade vectors, then blueprint service restart vectors`,
          );
        throw err;
      });
    } else {
      if (there.size !== dimensions)
        throw new HttpError(
          409,
          `collection ${collection} holds ${there.size}-dimensional vectors but the embedding model makes ${dimensions}: the model changed; delete and re-ingest the collection's documents, or use another collection`,
          'collection',
        );
      const name = this.nameOf(collection);
      if (there.rag !== null && there.rag !== this.self)
        throw new HttpError(
          409,
          `the vectors collection ${name} is the ${there.rag} module's: use another collection name`,
          'collection',
        );
      if (there.rag === null && !older) {
        const count = await this.strays(collection, [], signal);
        if (count > 0)
          throw new HttpError(
            409,
            `the vectors module holds a collection ${name} with ${count} points that this rag did not make: use another collection name`,
            'collection',
          );
        await this.label(collection, signal);
      }
    }
    this.known.add(collection);
  }

  /** The collection in vectors, its dimension and the rag its metadata names; undefined if none. */
  async owner(
    collection: string,
    signal?: AbortSignal,
  ): Promise<{ size: number; rag: string | null } | undefined> {
    try {
      const r = await this.up.call<{
        result: { config: { params: { vectors: { size: number } }; metadata?: Record<string, unknown> } };
      }>('GET', this.path(collection), undefined, signal);
      const rag = r.result.config.metadata?.[OWNER_KEY];
      return { size: r.result.config.params.vectors.size, rag: typeof rag === 'string' ? rag : null };
    } catch (err) {
      if (missing(err)) return undefined;
      throw err;
    }
  }

  /** Names this rag in the collection's metadata (Qdrant's PATCH merges it). */
  async label(collection: string, signal?: AbortSignal): Promise<void> {
    await this.up.call('PATCH', this.path(collection), { metadata: { [OWNER_KEY]: this.self } }, signal);
  }

  async upsert(
    collection: string,
    points: { id: string; vector: number[]; payload: Record<string, unknown> }[],
    signal?: AbortSignal,
  ): Promise<void> {
    await this.up.call('PUT', this.path(collection, '/points?wait=true'), { points }, signal);
  }

  async countDocument(collection: string, id: string): Promise<number> {
    try {
      const r = await this.up.call<{ result: { count: number } }>(
        'POST',
        this.path(collection, '/points/count'),
        {
          filter: byDocument(id),
          exact: true,
        },
      );
      return r.result.count;
    } catch (err) {
      if (missing(err)) return 0;
      throw err;
    }
  }

  /** How many points of the collection belong to none of the documents `keep`. */
  async strays(collection: string, keep: string[], signal?: AbortSignal): Promise<number> {
    const r = await this.up.call<{ result: { count: number } }>(
      'POST',
      this.path(collection, '/points/count'),
      { filter: keepFilter(keep), exact: true },
      signal,
    );
    return r.result.count;
  }

  /**
   * Removes the chunks whose document is none of `keep` (sweep.ts); returns how many there were.
   * Counted first: a collection with none is not written to.
   */
  async sweep(collection: string, keep: string[]): Promise<number> {
    const n = await this.strays(collection, keep);
    if (n > 0)
      await this.up.call('POST', this.path(collection, '/points/delete?wait=true'), {
        filter: keepFilter(keep),
      });
    return n;
  }

  /** Removes every chunk of a document (none is fine: the collection may not even exist). */
  async deleteDocument(collection: string, id: string): Promise<void> {
    try {
      await this.up.call('POST', this.path(collection, '/points/delete?wait=true'), {
        filter: byDocument(id),
      });
    } catch (err) {
      if (!missing(err)) throw err;
    }
  }

  /**
   * The `limit` best chunks with their payloads (no vectors). `filter` undefined when there is none:
   * an empty filter object is not free, vectors would test every point's payload against it.
   * The whole payload (`true`) rather than a list of its fields: vectors then hands over the stored
   * object instead of building a copy per hit, for one small field (`chunk`) more on the wire.
   */
  async search(
    collection: string,
    vector: QueryVector,
    limit: number,
    filter: Record<string, unknown> | undefined,
    signal?: AbortSignal,
  ): Promise<Hit[]> {
    const ask = (v: QueryVector, extra?: Record<string, string>) =>
      this.up.call<{ result: Hit[] }>(
        'POST',
        this.path(collection, '/points/search'),
        filter ? { vector: v, limit, filter, with_payload: true } : { vector: v, limit, with_payload: true },
        signal,
        extra,
      );
    try {
      if (typeof vector !== 'string') return (await ask(vector)).result;
      // The vector as the embeddings module sent it (vectors' README: "A faster encoding for our
      // own clients"): no 384 numbers written as text and parsed back.
      if (!this.numbersOnly) {
        try {
          return (await ask(vector, BASE64_VECTOR)).result;
        } catch (err) {
          if (!(err instanceof UpstreamError && err.status === 400)) throw err;
        }
      }
      // Refused: a vectors module older than the encoding (it read the text as a point id), or the
      // search itself is wrong, and then the numbers are refused too.
      const r = await ask(vectorOf(vector)!);
      this.numbersOnly = true;
      return r.result;
    } catch (err) {
      if (missing(err)) return [];
      throw err;
    }
  }
}
