/**
 * The line for rag's one parse worker, taking turns between clients. The kit's fair queue starts up
 * to RAG_CONCURRENCY ingests at once, and each then waits for the worker: in the pool's own line
 * they waited in the order they came, so one client's four documents, each held for its whole
 * parse budget, all went before another client's. Here the client that started a parse least
 * recently goes next (one never served first), so another client waits for at most the document
 * the worker has and, at the moment it joins, one more that the worker took meanwhile.
 *
 * A client is what the kit names by its token (ctx.client: "admin", "consumer:NAME"); without one
 * (no tokens set), each connection is its own client. A parse whose client left before its turn is
 * dropped: the worker parsed such documents for nobody, each for its whole budget.
 *
 * Unbounded here: only ingests that hold one of the kit's RAG_CONCURRENCY places wait in it.
 */
import { ClientGoneError } from '../../kit/server/index.js';

interface Waiting {
  start(): void;
}

export class ParseLine {
  /** Clients with parses waiting, each its own FIFO. */
  private readonly waiting = new Map<unknown, Waiting[]>();
  /** When each client with a parse waiting or running last started one (a serial number). */
  private readonly started = new Map<unknown, number>();
  private readonly holding = new Map<unknown, number>();
  private serial = 0;
  private running = false;

  /** Parses waiting, all clients together. */
  get length(): number {
    let n = 0;
    for (const list of this.waiting.values()) n += list.length;
    return n;
  }

  run<T>(client: unknown, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new ClientGoneError());
    this.holding.set(client, (this.holding.get(client) ?? 0) + 1);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        const list = this.waiting.get(client);
        const i = list?.indexOf(job) ?? -1;
        if (i < 0) return; // started: the parse runs to its end or its budget
        list!.splice(i, 1);
        if (list!.length === 0) this.waiting.delete(client);
        this.release(client);
        reject(new ClientGoneError());
      };
      const job: Waiting = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          this.running = true;
          this.started.set(client, ++this.serial);
          work()
            .then(resolve, reject)
            .finally(() => {
              this.running = false;
              this.release(client);
              this.next();
            });
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const list = this.waiting.get(client);
      if (list) list.push(job);
      else this.waiting.set(client, [job]);
      this.next();
    });
  }

  private release(client: unknown): void {
    const n = (this.holding.get(client) ?? 1) - 1;
    if (n > 0) return void this.holding.set(client, n);
    this.holding.delete(client);
    this.started.delete(client); // a client that comes back later is a newcomer again
  }

  private next(): void {
    if (this.running) return;
    let pick: unknown;
    let oldest = Number.POSITIVE_INFINITY;
    // Least recently started first; a client never started (0) before any; ties in arrival order.
    for (const client of this.waiting.keys()) {
      const at = this.started.get(client) ?? 0;
      if (at < oldest) {
        oldest = at;
        pick = client;
      }
    }
    if (oldest === Number.POSITIVE_INFINITY) return;
    const list = this.waiting.get(pick)!;
    const job = list.shift()!;
    if (list.length === 0) this.waiting.delete(pick);
    job.start();
  }
}
