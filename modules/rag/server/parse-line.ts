/**
 * The line for rag's one parse worker, taking turns between clients. The kit's fair queue started
 * up to RAG_CONCURRENCY ingests at once, and each then waited for the worker: in the pool's own
 * line they waited in the order they came, so one client's four documents, each held for its whole
 * parse budget, all went before another client's. Here the client that started a parse least
 * recently goes next (one never served first), so another client waits for at most the document
 * the worker has. The ingests waiting here hold none of the places retrievals and chats run in
 * (api.ts, createRagServer).
 *
 * A client is what the kit names by its token (ctx.client: "admin", "consumer:NAME"), and all
 * requests without one are one client, "anonymous", as in the kit's queue (api.ts, clientOf): each
 * connection was its own client, so a sender with four connections had four turns before another
 * client's one (test/security/rag-client-shares). A parse whose client left before its turn is
 * dropped: the worker parsed such documents for nobody, each for its whole budget.
 *
 * At most `capacity` parses wait or run (RAG_MAX_QUEUE). When all are taken, a client with two or
 * more fewer waiting than the client with most takes that one's newest waiting place (a 503 with
 * Retry-After for it), as the kit's fair queue does; otherwise the newcomer gets the 503.
 */
import { busy, ClientGoneError } from '../../kit/server/index.js';

interface Waiting {
  start(): void;
  /** Taken out before it started: its ingest fails with `err`. */
  drop(err: Error): void;
}

export class ParseLine {
  /** Clients with parses waiting, each its own FIFO. */
  private readonly waiting = new Map<unknown, Waiting[]>();
  /** When each client with a parse waiting or running last started one (a serial number). */
  private readonly started = new Map<unknown, number>();
  private readonly holding = new Map<unknown, number>();
  private serial = 0;
  private running = false;
  private total = 0;

  constructor(readonly capacity = Number.POSITIVE_INFINITY) {}

  /** Parses waiting, all clients together. */
  get length(): number {
    let n = 0;
    for (const list of this.waiting.values()) n += list.length;
    return n;
  }

  run<T>(client: unknown, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new ClientGoneError());
    if (this.total >= this.capacity && !this.makeRoom(client))
      return Promise.reject(
        busy(`busy: ${this.total} documents are being parsed or waiting to be; retry shortly`),
      );
    this.holding.set(client, (this.holding.get(client) ?? 0) + 1);
    this.total++;
    return new Promise<T>((resolve, reject) => {
      const takeOut = (err: Error) => {
        const list = this.waiting.get(client);
        const i = list?.indexOf(job) ?? -1;
        if (i < 0) return; // started: the parse runs to its end or its budget
        list!.splice(i, 1);
        if (list!.length === 0) this.waiting.delete(client);
        signal?.removeEventListener('abort', onAbort);
        this.release(client);
        reject(err);
      };
      const onAbort = () => takeOut(new ClientGoneError());
      const job: Waiting = {
        drop: takeOut,
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

  /** Takes the newest waiting place of the client with most waiting, if `client` has 2+ fewer. */
  private makeRoom(client: unknown): boolean {
    const mine = this.waiting.get(client)?.length ?? 0;
    let most: Waiting[] | undefined;
    for (const list of this.waiting.values()) if (!most || list.length > most.length) most = list;
    if (!most || most.length < mine + 2) return false;
    most[most.length - 1]!.drop(
      busy(
        'busy: this client has the most documents waiting to be parsed and another needs a place; retry shortly',
      ),
    );
    return true;
  }

  private release(client: unknown): void {
    this.total--;
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
