/**
 * A collection's changes that wait while a checkpoint writes its graph (store.ts): hnswlib's own
 * thread reads the graph then, so it must take no change. The vectors, payloads and ids change at
 * once as always; searches leave the waiting labels out of the graph walk and score them exactly
 * (Collection.search). Only changes made during the write (or to a label still waiting) wait: the
 * others go into the graph at once, so the queue holds at most what came during one write.
 */
export class GraphQueue {
  /** Label → whether it was live in the graph before its first change; undefined when empty. */
  private pending: Map<number, boolean> | undefined;
  private isWriting = false;

  /** True while the graph is being written: it must not be resized or changed. */
  get writing(): boolean {
    return this.isWriting;
  }

  /** True until every change that waited is in the graph. */
  get busy(): boolean {
    return this.pending !== undefined;
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
    if (!this.isWriting) return false;
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
   * thousands in one turn would stall every request); later changes to a waiting label update it
   * there. `busy` is true until the queue is empty.
   */
  release(apply: (label: number, wasLive: boolean) => void): void {
    this.isWriting = false;
    const pending = this.pending;
    if (!pending) return;
    if (pending.size === 0) {
      this.pending = undefined;
      return;
    }
    void (async () => {
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
    })();
  }
}
