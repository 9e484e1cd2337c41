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
 * vectorsName: `rag-NAME`, `MODULE@NAME`) whose documents this one does not know; and of those only
 * the ones whose vectors metadata names this rag (`blueprint-rag`, set when rag makes one): a name
 * recorded before a crash kept rag from making it may be the admin's collection since. It runs under
 * rag's mutex (no ingest writes meanwhile), after the recovery: at start, and RAG_SWEEP_AFTER_MS
 * (the upstream timeout, 60 s) after a recovery removed an unfinished ingest's chunks, when a write
 * of it that rag gave up on has landed or never will (rag.ts).
 */

export interface SweepIndex {
  /** This rag's module name, which the metadata of the collections it made holds. */
  readonly self: string;
  /** The collection in vectors and the rag its metadata names (null: none); undefined if none. */
  owner(collection: string): Promise<{ rag: string | null } | undefined>;
  /** How many points are of none of the documents `keep`. */
  strays(collection: string, keep: string[]): Promise<number>;
  /** Names this rag in the collection's metadata. */
  label(collection: string): Promise<void>;
  /** Removes the points whose document is none of `keep`; returns how many there were. */
  sweep(collection: string, keep: string[]): Promise<number>;
}

/** rag's record of its collections (store.ts). */
export interface SweepRecord {
  /** [rag's name, vectors' name] of each collection it ever wrote to. */
  collections(): [string, string][];
  /** Recorded by a rag from before the metadata, not adopted since. */
  isOlder(collection: string): boolean;
  /** Now names this rag in its metadata. */
  adopted(collection: string): Promise<void>;
}

/**
 * Sweeps rag's collections (`record`) whose metadata names this rag;
 * `keep(c)`: the documents of c whose chunks stay. One naming no rag is another's (the admin's
 * made under a name rag recorded, then crashed before making it), unless recorded by a
 * rag from before the metadata. Such a one holding only its documents' chunks is adopted (named
 * as this rag's) and swept from then on; holding others (two rags of an older box
 * that both used `rag-NAME`, or a late write) it is left as it is. Returns the total removed.
 */
export async function sweepUnknown(
  index: SweepIndex,
  record: SweepRecord,
  keep: (collection: string) => string[],
  log: (line: string) => void,
): Promise<number> {
  let total = 0;
  const chunks = (n: number) => `${n} chunk${n === 1 ? '' : 's'}`;
  for (const [collection, name] of record.collections()) {
    const there = await index.owner(collection);
    if (!there) continue;
    if (there.rag === null && record.isOlder(collection)) {
      const n = await index.strays(collection, keep(collection));
      if (n > 0) {
        log(
          `sweep: ${name} holds ${chunks(n)} of documents this rag does not know and its metadata names no rag (made before 2026-12-07: another rag may write there): not swept`,
        );
        continue;
      }
      await index.label(collection);
      await record.adopted(collection);
      continue;
    }
    if (there.rag !== index.self) {
      log(
        `sweep: ${name} is not this rag's (${there.rag === null ? 'its metadata names no rag' : `its metadata names ${there.rag}`}): not swept`,
      );
      continue;
    }
    const n = await index.sweep(collection, keep(collection));
    if (n > 0)
      log(
        `sweep: removed ${chunks(n)} of documents rag does not know from ${name} (writes that landed after their document's rollback)`,
      );
    total += n;
  }
  return total;
}
