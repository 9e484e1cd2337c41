/**
 * The bytes of documents being ingested at once, and each client's part of them. The kit charges a
 * body to its one budget (RAG_MAX_BUFFERED_BYTES) until its answer, and over it refuses every
 * request with a body; an ingest's body stays charged while it waits for the parse worker and is
 * embedded. So ingests hold at most `total` (half the budget; the rest stays for retrievals and
 * chats: test/security/rag-ingest-bytes), and one client at most half of that, or one document
 * whatever its size while it holds nothing else: first come, first served, one client's documents
 * waiting behind a slow one took all of it and every other client's document was a 503
 * (test/security/rag-client-shares). A client is the kit's (ctx.client; all requests without a
 * token are one, `anonymous`), never a connection: one client may open many.
 */
import { busy } from '../../kit/server/index.js';

export class IngestShare {
  private held = 0;
  private readonly byClient = new Map<string, number>();

  constructor(readonly total: number) {}

  /** Holds `n` bytes for `client` while `work` runs; a 503 at once when they do not fit. */
  async run<T>(client: string, n: number, work: () => Promise<T>): Promise<T> {
    const mine = this.byClient.get(client) ?? 0;
    if (this.held > 0 && this.held + n > this.total)
      throw busy(
        `busy: ${this.held} bytes of documents are being ingested (at most ${this.total} at once); retry shortly`,
      );
    if (mine > 0 && mine + n > this.total / 2)
      throw busy(
        `busy: this client has ${mine} bytes of documents being ingested (at most half of ${this.total} while others may need room); retry when they are answered`,
      );
    this.held += n;
    this.byClient.set(client, mine + n);
    try {
      return await work();
    } finally {
      this.held -= n;
      const left = (this.byClient.get(client) ?? n) - n;
      if (left > 0) this.byClient.set(client, left);
      else this.byClient.delete(client);
    }
  }
}
