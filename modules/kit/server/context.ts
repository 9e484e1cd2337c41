/** A request's context as a handler gets it (RequestContext in ./server-types.ts). */
import { parseJson } from './body.js';
import type { Exchange } from './exchange.js';
import type { FairQueue } from './queue.js';
import type { RequestContext } from './server-types.js';

const asIs = <T>(work: () => Promise<T>): (() => Promise<T>) => work;

/**
 * A request's context. A class, not an object literal: a literal with getters made a new hidden
 * class and accessor pair for every request, which old ones kept alive through every scavenge
 * until a full GC (measured: ~25 % of what a request path allocated was promoted, ~1.4 MB a
 * scavenge; none with this class). json/bytes/queue stay own functions (a module may pass them on).
 */
export class Context implements RequestContext {
  readonly json: () => Promise<unknown>;
  readonly bytes: () => Promise<Buffer>;
  readonly queue: <T>(work: () => Promise<T>) => Promise<T>;
  readonly judged: <T>(work: () => Promise<T>) => () => Promise<T>;
  constructor(
    readonly req: Exchange,
    readonly path: string,
    queue: FairQueue,
    readonly client: string | undefined,
    /** A consumer's: throws (the 401) when its token no longer names it (server.ts recheck). */
    check?: () => void,
  ) {
    this.json = async () => parseJson(await req.body());
    this.bytes = () => req.body();
    // A job may wait long for its turn (behind another client's chat): a consumer's token revoked
    // meanwhile is refused when the turn comes, before the work runs, in the kit's queue (REVIEW17,
    // test/security/kit-token-revoked-in-queue) and a module's own (REVIEW18,
    // test/security/vectors-token-revoked-in-snapshot-queue). Without a check the work is queued as is.
    this.judged = check
      ? (work) => async () => {
          check();
          return work();
        }
      : asIs;
    this.queue = (work) => queue.run(req.conn.socket, this.judged(work), req.signal, client);
  }
  bodyStream(): AsyncIterable<Buffer> {
    return this.req.stream();
  }
  hold<T>(work: Promise<T>, opts?: { maxMs?: number }): Promise<T> {
    // The kit's own bound: a promise that never settles (a module's bug, a used module that never
    // answers) must not keep the connection from the idle sweep for ever, nor count once its
    // client has left (test/kit/hold-bound.test.ts). Only the hold ends; the work runs on.
    const conn = this.req.conn;
    const signal = this.req.signal;
    let timer: NodeJS.Timeout | undefined;
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      conn.held--;
      clearTimeout(timer);
      signal.removeEventListener('abort', release);
    };
    conn.held++;
    if (signal.aborted) release();
    else signal.addEventListener('abort', release, { once: true });
    if (held && opts?.maxMs !== undefined) {
      timer = setTimeout(release, opts.maxMs);
      timer.unref();
    }
    return work.finally(release);
  }
  get signal(): AbortSignal {
    return this.req.signal;
  }
  get ready(): Buffer | undefined {
    return this.req.ready();
  }
}
