/**
 * Chunks in vectors of documents rag does not know: a write that failed without an answer (rag
 * timed out, the connection dropped) and landed in vectors only after the document's rollback had
 * removed its chunks and its marker. Never served (a retrieval asks for known documents' chunks
 * only) nor counted in k, but taking space with nothing to remove them.
 *
 * The sweep removes them: for each of rag's collections in vectors (`rag-NAME`, and rag's: one
 * that holds a document or a marker of rag's, or that this process ingested into, so one whose
 * documents are all gone by a rollback since the start), every point whose `document` is none of
 * the committed documents there, the ones being ingested or marked. A `rag-NAME` collection rag
 * holds nothing in is not rag's to empty: the name is anyone's to give through vectors' own API
 * (the admin's, another consumer's), and its points are of no document rag knows. It runs under rag's mutex (no ingest writes
 * meanwhile), after the recovery: at start, and RAG_SWEEP_AFTER_MS (the upstream timeout, 60 s) after
 * a recovery removed an unfinished ingest's chunks, when a write of it that rag gave up on has
 * landed or never will (rag.ts).
 */
import { vectorsCollection } from './backends.js';

export interface SweepIndex {
  /** rag's collections in vectors, by rag's names (without `rag-`). */
  collections(): Promise<string[]>;
  /** Removes the points whose document is none of `keep`; returns how many there were. */
  sweep(collection: string, keep: string[]): Promise<number>;
}

/**
 * Sweeps rag's collections (`ours`, by rag's names); `keep(c)`: the documents of c whose chunks
 * stay. Returns the total removed.
 */
export async function sweepUnknown(
  index: SweepIndex,
  ours: ReadonlySet<string>,
  keep: (collection: string) => string[],
  log: (line: string) => void,
): Promise<number> {
  let total = 0;
  for (const collection of await index.collections()) {
    if (!ours.has(collection)) continue;
    const n = await index.sweep(collection, keep(collection));
    if (n > 0)
      log(
        `sweep: removed ${n} chunk${n === 1 ? '' : 's'} of documents rag does not know from ${vectorsCollection(collection)} (writes that landed after their document's rollback)`,
      );
    total += n;
  }
  return total;
}
