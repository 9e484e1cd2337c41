/**
 * A collection's changes that wait while a checkpoint writes its graph (store.ts): hnswlib's own
 * thread reads the graph then, so it must take no change. The vectors, payloads and ids change at
 * once as always; searches leave the waiting labels out of the graph walk and score them exactly
 * (Collection.search). Changes made during the write wait, and so do those made while the waiting
 * ones go in after it (a slice a turn): the graph takes every change in the order it was made, as
 * the library would. Before, a change made during that drain went in at once, ahead of the ones
 * still waiting: another insertion order, another graph (hnswlib draws each point's level in
 * insertion order), a recall@10 0.001–0.005 under the library's in the bench
 * (test/vectors/graph-insert-order.test.ts). The store applies no new change while a queue drains
 * (Store.commit waits for `drained()`), so the queue holds what came during one write, and at most
 * the rest of a large upsert that was being applied when the write ended.
 */
export class GraphQueue {
  /** Label → whether it was live in the graph before its first change; undefined when empty. */
  private pending: Map<number, boolean> | undefined;
  private isWriting = false;
  /** Resolved once the queue is empty after a write (release()); undefined when not draining. */
  private emptied: Promise<void> | undefined;

  /** True while the graph is being written: it must not be resized or changed. */
  get writing(): boolean {
    return this.isWriting;
  }

  /** True until every change that waited is in the graph. */
  get busy(): boolean {
    return this.pending !== undefined;
  }

  /** After the write, until every change that waited is in the graph: a promise of that; else undefined. */
  drained(): Promise<void> | undefined {
    return this.isWriting ? undefined : this.emptied;
  }

  /** Before the write: changes from now on wait. */
  hold(): void {
    this.isWriting = true;
    this.pending ??= new Map();
  }

  /**
   * Records a label's first change while the graph waits (`liveNow`: whether it is live before
   * this change); true when the graph must not be touched for it.
   */
  defer(label: number, liveNow: boolean): boolean {
    const pending = this.pending;
    if (!pending) return false;
    if (pending.has(label)) return true; // the queued update reads the newest vector
    // During the write, and after it until the queue is empty: behind the changes made before.
    pending.set(label, liveNow);
    return true;
  }

  /** The labels whose change is not in the graph yet (none: undefined). */
  waiting(): Set<number> | undefined {
    return this.pending?.size ? new Set(this.pending.keys()) : undefined;
  }

  /**
   * After the write: each label that waited is given to `apply` (with whether it was live in the
   * graph before), 10 ms of them per turn of the event loop (an HNSW insert takes 1–5 ms:
   * thousands in one turn would stall every request), in the order of their first change; later
   * changes to a waiting label update it there, changes to other labels join the queue's end.
   * `busy` is true until the queue is empty.
   */
  release(apply: (label: number, wasLive: boolean) => void): void {
    this.isWriting = false;
    const pending = this.pending;
    if (!pending) return;
    if (pending.size === 0) {
      this.pending = undefined;
      return;
    }
    this.emptied = (async () => {
      for (;;) {
        const until = performance.now() + 10;
        for (const [label, wasLive] of pending) {
          pending.delete(label);
          apply(label, wasLive);
          if (performance.now() >= until) break;
        }
        if (pending.size === 0) break;
        await new Promise((r) => setImmediate(r));
      }
      this.pending = undefined;
      this.emptied = undefined;
    })();
  }
}
