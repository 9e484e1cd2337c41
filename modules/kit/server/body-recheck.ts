/**
 * A request's context whose token is judged again when its body is in. A request with a body is
 * named at its head (./wire.ts: the body budget charges the client before the first piece), and its
 * body may take up to requestTimeoutMs to arrive; a consumer's token revoked meanwhile (blueprint
 * rotates or removes it, ./clients.ts) must not carry that request through. Only such requests get
 * this class (a consumer's, its body still arriving when routed): bytes(), json(), `ready` and the
 * end of bodyStream() are where the body is had whole. The check asks the token table's
 * generation, and names the token again only when the table changed.
 */
import { parseJson } from './body.js';
import { Context } from './context.js';
import type { Exchange } from './exchange.js';
import type { FairQueue } from './queue.js';

export class BodyRecheckedContext extends Context {
  override readonly json: () => Promise<unknown>;
  override readonly bytes: () => Promise<Buffer>;

  /** `check` throws (the 401) when the token no longer names `client`. */
  constructor(
    req: Exchange,
    path: string,
    queue: FairQueue,
    client: string | undefined,
    private readonly check: () => void,
  ) {
    super(req, path, queue, client, check);
    this.bytes = async () => {
      const body = await req.body();
      check();
      return body;
    };
    this.json = async () => parseJson(await this.bytes());
  }

  /** The body when it is in (read later than routing: after an await), judged as bytes() is. */
  override get ready(): Buffer | undefined {
    const body = super.ready;
    if (body !== undefined) this.check();
    return body;
  }

  override bodyStream(): AsyncIterable<Buffer> {
    const inner = super.bodyStream()[Symbol.asyncIterator]();
    const check = this.check;
    const it: AsyncIterator<Buffer, undefined> & AsyncIterable<Buffer> = {
      next: async () => {
        const r = await inner.next();
        // The last piece was handed over already (the handler may have used it): its end is refused.
        if (r.done) check();
        return r;
      },
      return: async () => (await inner.return?.()) ?? { done: true, value: undefined },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }
}
