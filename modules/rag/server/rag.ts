/**
 * The rag pipeline: ingest (parse → chunk → embed → index → commit), delete, recovery of
 * operations a crash interrupted, retrieval (its read path in rag-retrieve.ts), and the facts
 * /info reports. All-or-nothing per document through the store's markers (see store.ts); changes
 * run one at a time (Mutex).
 */
import { createHash, randomUUID } from 'node:crypto';
import { ClientGoneError, HttpError, type KitLog } from '../../kit/server/index.js';
import { type Embedder, type EmbeddingInfo, pointId, type VectorIndex } from './backends.js';
import type { Chunk, ChunkOptions } from './chunk.js';
import { checkVectorsName } from './names.js';
import type { DocumentKind } from './parse.js';
import {
  type RetrievedChunk,
  type RetrieveQuery,
  type RetrieveTiming,
  retrieveChunks,
} from './rag-retrieve.js';
import { Retry } from './retry.js';
import { type DocumentRecord, Mutex, type Store } from './store.js';
import { sweepUnknown } from './sweep.js';
import type { Upstream } from './upstream.js';

export type { RetrievedChunk, RetrieveTiming } from './rag-retrieve.js';

export interface RagConfig {
  /** Upper bound of the chunk size in tokens; the model's limit (less [CLS]/[SEP]) may lower it. */
  chunkTokens: number;
  chunkOverlap: number;
  maxChunks: number;
  /** Chunks embedded and written to vectors per call. */
  batch: number;
  /** After an unfinished ingest's chunks were removed, the sweep runs this much later (sweep.ts; RAG_SWEEP_AFTER_MS). */
  sweepAfterMs?: number;
}

export interface IngestInput {
  bytes: Uint8Array;
  kind: DocumentKind;
  source: string;
  collection: string;
}

/** A document parsed and chunked (in the parse worker); no chunks when it was given no options. */
export interface ParsedChunks {
  chunks: Chunk[];
  /** Pages of a PDF; null for other kinds. `kind`: what its content is (a .docx sent as an .odt). */
  pages: number | null;
  kind?: DocumentKind;
}

/**
 * Parses and chunks a document in its turn for `client` (main.ts: the parse worker's line,
 * parse-line.ts); rejects with ClientGoneError when `signal` aborts before its turn. Chunked in the
 * worker too: a million sections took seconds to chunk, on the event loop when it was done here.
 */
export type ParseFn = (
  kind: DocumentKind,
  bytes: Uint8Array,
  client: unknown,
  signal: AbortSignal,
  chunking: ChunkOptions | undefined,
) => Promise<ParsedChunks>;

export interface IngestResult extends DocumentRecord {
  duplicate: boolean;
}

/** How long after a failed removal from vectors the recovery tries again (as at start: main.ts). */
const RETRY_MS = 2000;

export class Rag {
  readonly store: Store;
  readonly embedder: Embedder;
  readonly index: VectorIndex;
  readonly llm: Upstream;
  readonly config: RagConfig;
  private readonly parse: ParseFn;
  private readonly log: KitLog;
  private readonly mutex = new Mutex();
  /** Documents being ingested now: their chunks may be in vectors but are not yet theirs to show. */
  private readonly inflight = new Set<string>();
  /** After a removal from vectors failed: the recovery, until it succeeds (retrieve leaves the document out). */
  private readonly retry = new Retry(() => this.recover(), RETRY_MS);
  /** After an unfinished ingest's chunks were removed: the sweep, once a late write's landing is past (sweep.ts). */
  private readonly settle: Retry;

  constructor(deps: {
    store: Store;
    embedder: Embedder;
    index: VectorIndex;
    llm: Upstream;
    config: RagConfig;
    parse: ParseFn;
    log: KitLog;
  }) {
    this.store = deps.store;
    this.embedder = deps.embedder;
    this.index = deps.index;
    this.llm = deps.llm;
    this.config = deps.config;
    this.parse = deps.parse;
    this.log = deps.log;
    this.settle = new Retry(() => this.sweep(), deps.config.sweepAfterMs ?? 60_000);
  }

  /** Removes the chunks in vectors of documents rag does not know, after the recovery (sweep.ts). */
  sweep(): Promise<number> {
    return this.mutex.run(async () => {
      await this.recoverLocked();
      const pending = [...this.inflight, ...this.store.unfinished()];
      const keep = (c: string) => [...this.store.list(c).map((d) => d.id), ...pending];
      // Only the collections this rag wrote to (store.ts records them), whoever else uses vectors.
      return sweepUnknown(this.index, this.store, keep, this.log);
    });
  }

  /** The chunk budget for this model: the configured size, at most the model's limit less 2 special tokens. */
  chunking(info: EmbeddingInfo): { tokens: number; overlap: number } {
    const tokens = Math.max(8, Math.min(this.config.chunkTokens, info.maxTokens - 2));
    return { tokens, overlap: Math.min(this.config.chunkOverlap, Math.floor(tokens / 4)) };
  }

  /**
   * Finishes what a crash (or a failed rollback) left: chunks of documents that were never
   * committed, or whose delete committed, are removed from vectors. Returns how many were cleaned.
   */
  recover(): Promise<number> {
    return this.mutex.run(() => this.recoverLocked());
  }

  private async recoverLocked(): Promise<number> {
    let n = 0;
    for (const m of await this.store.markers()) {
      if (this.inflight.has(m.id)) continue;
      if (!this.store.get(m.id)) {
        await this.index.deleteDocument(m.collection, m.id);
        n++;
        this.log(`recovery: removed the chunks of unfinished ${m.op} of document ${m.id} (${m.collection})`);
        // One of its writes may land later still: swept once that is past.
        if (m.op === 'ingest') this.settle.schedule();
      }
      await this.store.unmark(m.id);
    }
    return n;
  }

  /**
   * `client`: whose turn the parse takes (the kit's client: ctx.client, or `anonymous` without one);
   * `heavy`: runs the rest (embedding, writing) in its turn with retrievals and chats (api.ts).
   */
  async ingest(
    input: IngestInput,
    signal: AbortSignal,
    client: unknown,
    heavy: <T>(work: () => Promise<T>) => Promise<T> = (work) => work(),
  ): Promise<IngestResult> {
    const sha256 = createHash('sha256').update(input.bytes).digest('hex');
    const known = this.store.findBySha(input.collection, sha256);
    if (known) return { ...known, duplicate: true };
    checkVectorsName(input.collection, this.store.vectorsName(input.collection));
    // The chunk size comes from the embedding model, so it is asked first; the document is parsed
    // even when the module does not answer: a broken document is the client's 4xx whether or not
    // the other modules are up, and only then their 503.
    const info = await this.embedder.info(signal).catch((err: unknown) => ({ failed: err }));
    const chunking = 'failed' in info ? undefined : this.chunking(info);
    const { chunks, pages, kind } = await this.parse(input.kind, input.bytes, client, signal, chunking);
    if ('failed' in info) throw info.failed;
    if (chunks.length === 0)
      throw new HttpError(
        400,
        input.kind === 'pdf'
          ? 'no text found in the PDF (a scanned document without a text layer needs OCR first)'
          : 'no text found in the document',
      );
    if (chunks.length > this.config.maxChunks)
      throw new HttpError(
        413,
        `the document makes ${chunks.length} chunks, more than the limit of ${this.config.maxChunks} (RAG_MAX_CHUNKS): split it`,
      );
    return heavy(() =>
      this.ingestParsed(kind ? { ...input, kind } : input, signal, sha256, info, chunks, pages),
    );
  }

  private ingestParsed(
    input: IngestInput,
    signal: AbortSignal,
    sha256: string,
    info: EmbeddingInfo,
    chunks: Chunk[],
    pages: number | null,
  ): Promise<IngestResult> {
    return this.mutex.run(async () => {
      await this.recoverLocked();
      const again = this.store.findBySha(input.collection, sha256);
      if (again) return { ...again, duplicate: true };
      if (signal.aborted) throw new ClientGoneError();
      // Recorded as this rag's before its first write: swept even once a rollback left it empty.
      // Made with this rag's name in its metadata; not one of another's (backends.ts ensure()).
      await this.store.own(input.collection);
      await this.index.ensure(
        input.collection,
        info.dimensions,
        this.store.isOlder(input.collection),
        signal,
      );
      const id = randomUUID();
      await this.store.mark({ id, op: 'ingest', collection: input.collection });
      this.inflight.add(id);
      const state = { uncertain: false };
      try {
        const count = await this.indexChunks(
          id,
          input,
          chunks,
          Math.min(this.config.batch, info.maxBatch),
          signal,
          state,
        );
        const record: DocumentRecord = {
          id,
          source: input.source,
          collection: input.collection,
          sha256,
          chunks: count,
          pages,
          bytes: input.bytes.length,
          kind: input.kind,
          createdAt: new Date().toISOString(),
        };
        await this.store.commitAdd(record);
        this.inflight.delete(id);
        await this.store.unmark(id).catch(() => undefined); // recovery removes it otherwise
        this.log(
          `ingested ${JSON.stringify(input.source)} into ${input.collection}: ${count} chunk${count === 1 ? '' : 's'}, document ${id}`,
        );
        return { ...record, duplicate: false };
      } catch (err) {
        this.inflight.delete(id);
        await this.rollback(input.collection, id, state.uncertain);
        throw err;
      }
    });
  }

  /**
   * Embeds and writes the chunks batch by batch, the next batch embedded while the last one is
   * written (an upsert waits for the vectors module's fsync). Returns how many were written.
   */
  private async indexChunks(
    id: string,
    input: IngestInput,
    chunks: Chunk[],
    batch: number,
    signal: AbortSignal,
    state: { uncertain: boolean },
  ) {
    let n = 0;
    let writing: Promise<void> = Promise.resolve();
    let failed: { err: unknown } | undefined;
    try {
      for (let i = 0; i < chunks.length; i += batch) {
        if (signal.aborted) throw new ClientGoneError();
        const embedded = await this.embedder.chunks(chunks.slice(i, i + batch), signal);
        // The bound holds for what is written: the model's tokenizer splits chunks it finds too long.
        if (n + embedded.length > this.config.maxChunks)
          throw new HttpError(
            413,
            `the document makes ${n + embedded.length}+ chunks once those too long for the embedding model are split, more than the limit of ${this.config.maxChunks} (RAG_MAX_CHUNKS): split it`,
          );
        await writing;
        if (failed) throw failed.err;
        const points = embedded.map(({ chunk, vector }) => ({
          id: pointId(id, n),
          vector,
          payload: {
            document: id,
            source: input.source,
            chunk: n++,
            page: chunk.page,
            heading: chunk.heading,
            text: chunk.text,
          },
        }));
        // Not aborted with the client: a write cut off mid-way could land after the rollback's delete.
        writing = this.index.upsert(input.collection, points).catch((err: unknown) => {
          failed = { err };
          state.uncertain = true;
        });
      }
    } finally {
      // Never leave an upsert running behind a rollback: it could land after the delete.
      await writing;
    }
    if (failed) throw failed.err;
    return n;
  }

  /**
   * Undoes a failed ingest now. The marker stays for the recovery (RETRY_MS later, before the next
   * change, at start) when vectors cannot be reached, or when a write to it failed without an
   * answer: such a write may still land after this delete, and the recovery deletes again.
   */
  private async rollback(collection: string, id: string, uncertain: boolean): Promise<void> {
    try {
      await this.index.deleteDocument(collection, id);
      if (!uncertain) await this.store.unmark(id);
      this.log(`rolled back document ${id}: its chunks are removed from vectors`);
    } catch (err) {
      this.log(`rollback of document ${id} postponed to the next recovery: ${(err as Error).message}`);
      uncertain = true;
    }
    if (uncertain) this.retry.schedule(); // the marker stays: the recovery deletes (again) soon
  }

  /** Deletes a document: its record first (the commit), then its chunks. */
  remove(id: string): Promise<{ id: string; deleted: true; chunks: number }> {
    return this.mutex.run(async () => {
      await this.recoverLocked();
      const doc = this.store.get(id);
      if (!doc) throw new HttpError(404, `no document ${id}`, 'id');
      const chunks = await this.index.countDocument(doc.collection, id); // vectors must be up
      await this.store.mark({ id, op: 'delete', collection: doc.collection });
      await this.store.commitRemove(id);
      try {
        await this.index.deleteDocument(doc.collection, id);
      } catch (err) {
        this.retry.schedule();
        throw new HttpError(
          503,
          `document ${id} is deleted, but its chunks could not be removed yet (${(err as Error).message}); they are removed when the vectors module answers again`,
          undefined,
          { 'retry-after': '5' },
        );
      }
      await this.store.unmark(id);
      this.log(`deleted document ${id} (${JSON.stringify(doc.source)}, ${chunks} chunks)`);
      return { id, deleted: true as const, chunks };
    });
  }

  /** The chunks nearest the query, of committed documents only (rag-retrieve.ts). */
  retrieve(q: RetrieveQuery, signal?: AbortSignal, timing?: RetrieveTiming): Promise<RetrievedChunk[]> {
    const hidden = () => [...new Set([...this.inflight, ...this.store.unfinished()])];
    return retrieveChunks(
      { embedder: this.embedder, index: this.index, store: this.store, hidden },
      q,
      signal,
      timing,
    );
  }

  /** Collections with their counts, from the committed records. */
  collections(): { name: string; documents: number; chunks: number }[] {
    const by = new Map<string, { name: string; documents: number; chunks: number }>();
    for (const d of this.store.list()) {
      const c = by.get(d.collection) ?? { name: d.collection, documents: 0, chunks: 0 };
      c.documents++;
      c.chunks += d.chunks;
      by.set(d.collection, c);
    }
    return [...by.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}
