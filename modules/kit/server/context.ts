/** A request's context as a handler gets it (RequestContext in ./server-types.ts). */
import { parseJson } from './body.js';
import type { Exchange } from './exchange.js';
import type { FairQueue } from './queue.js';
import type { RequestContext } from './server-types.js';

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
  constructor(
    readonly req: Exchange,
    readonly path: string,
    queue: FairQueue,
    readonly client: string | undefined,
  ) {
    this.json = async () => parseJson(await req.body());
    this.bytes = () => req.body();
    this.queue = (work) => queue.run(req.conn.socket, work, req.signal, client);
  }
  bodyStream(): AsyncIterable<Buffer> {
    return this.req.stream();
  }
  hold<T>(work: Promise<T>): Promise<T> {
    const conn = this.req.conn;
    conn.held++;
    return work.finally(() => conn.held--);
  }
  get signal(): AbortSignal {
    return this.req.signal;
  }
  get ready(): Buffer | undefined {
    return this.req.ready();
  }
}
