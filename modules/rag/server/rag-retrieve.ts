/**
 * Retrieval, rag's read path (rag.ts's Rag.retrieve): the question's embedding, the nearest chunks
 * in vectors, and only those of committed documents. Split from rag.ts, the write path (ingest,
 * delete, recovery), which it shares no state with beyond what `hidden` hands it.
 */
import { type Embedder, searchFilter, type VectorIndex } from './backends.js';
import type { Store } from './store.js';

export interface RetrievedChunk {
  document: string;
  source: string;
  page: number | null;
  heading: string | null;
  text: string;
  score: number;
}

/** Milliseconds a retrieval spent waiting on each used module (for the Server-Timing header). */
export interface RetrieveTiming {
  embedMs: number;
  searchMs: number;
  /** performance.now() when the embedding was asked for. */
  startedAt?: number;
}

export interface RetrieveQuery {
  query: string;
  k: number;
  collection: string;
  source?: string;
  document?: string;
}

export async function retrieveChunks(
  deps: {
    embedder: Embedder;
    index: VectorIndex;
    store: Store;
    /** Documents not to show: being ingested, or whose chunks could not all be removed. */
    hidden: () => string[];
  },
  q: RetrieveQuery,
  signal?: AbortSignal,
  timing?: RetrieveTiming,
): Promise<RetrievedChunk[]> {
  const { embedder, index, store } = deps;
  const t0 = performance.now();
  const vector = await embedder.query(q.query, signal);
  const t1 = performance.now();
  const must: unknown[] = [];
  if (q.source !== undefined) must.push({ key: 'source', match: { value: q.source } });
  if (q.document !== undefined) must.push({ key: 'document', match: { value: q.document } });
  // And those whose chunks could not all be removed (left out in the search, not dropped after
  // it, which gave fewer than k: test/rag/delete-unfinished.test.ts).
  let hidden = deps.hidden();
  let hits = await index.search(q.collection, vector, q.k, searchFilter(must, hidden), signal);
  // Chunks of a document neither committed nor marked (a write that landed after its removal)
  // are never served: asked again without it, so that k still come (twice at most).
  for (let again = 0; again < 2 && hits.length === q.k; again++) {
    const stray = hits.map((h) => String(h.payload.document)).filter((d) => !store.get(d));
    if (!stray.length) break;
    hidden = [...new Set([...hidden, ...stray])];
    hits = await index.search(q.collection, vector, q.k, searchFilter(must, hidden), signal);
  }
  if (timing) {
    timing.startedAt = t0;
    timing.embedMs = t1 - t0;
    timing.searchMs = performance.now() - t1;
  }
  return hits
    .filter((h) => store.get(String(h.payload.document)) !== undefined)
    .map((h) => ({
      document: String(h.payload.document),
      source: String(h.payload.source),
      page: typeof h.payload.page === 'number' ? h.payload.page : null,
      heading: typeof h.payload.heading === 'string' ? h.payload.heading : null,
      text: String(h.payload.text),
      score: h.score,
    }));
}
