/**
 * Chunks in vectors of documents rag does not know: a write that failed without an answer (rag
 * timed out, the connection dropped) and landed in vectors only after the document's rollback had
 * removed its chunks and its marker. Never served (a retrieval asks for known documents' chunks
 * only) nor counted in k, but taking space with nothing to remove them.
 *
 * The sweep removes them: for each of this rag's collections (store.ts: each one it ever wrote to,
 * recorded before the first write, by its name in vectors; so one whose documents a rollback
 * removed before a restart is swept at the next start too), every point whose `document` is none
 * of the committed documents there, the ones being ingested or marked. Only those: vectors'
 * collection names are anyone's to give through its own API (the admin's `rag-notes`, another
 * consumer's), and another rag on the same vectors has collections of its own (names.ts
 * vectorsName: `rag-NAME`, `MODULE@NAME`) whose documents this one does not know. It runs under
 * rag's mutex (no ingest writes meanwhile), after the recovery: at start, and RAG_SWEEP_AFTER_MS
 * (the upstream timeout, 60 s) after a recovery removed an unfinished ingest's chunks, when a write
 * of it that rag gave up on has landed or never will (rag.ts).
 */

export interface SweepIndex {
  /** The names of the collections in vectors. */
  collections(): Promise<Set<string>>;
  /** Removes the points whose document is none of `keep`; returns how many there were. */
  sweep(collection: string, keep: string[]): Promise<number>;
}

/**
 * Sweeps rag's collections (`ours`: [rag's name, vectors' name]); `keep(c)`: the documents of c
 * whose chunks stay. Returns the total removed.
 */
export async function sweepUnknown(
  index: SweepIndex,
  ours: [string, string][],
  keep: (collection: string) => string[],
  log: (line: string) => void,
): Promise<number> {
  let total = 0;
  const there = await index.collections();
  for (const [collection, name] of ours) {
    if (!there.has(name)) continue;
    const n = await index.sweep(collection, keep(collection));
    if (n > 0)
      log(
        `sweep: removed ${n} chunk${n === 1 ? '' : 's'} of documents rag does not know from ${name} (writes that landed after their document's rollback)`,
      );
    total += n;
  }
  return total;
}
