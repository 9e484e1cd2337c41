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
 *
 * A consumer is two clients, with its token and without: a 32 MiB document on one and 16 MiB on the
 * other filled the share, and every other client's document was a 503 while those parsed (up to
 * the parse timeout), again and again (test/security/rag-ingest-two-identities). So a document that
 * does not fit waits for room, one at a time a client, first come first in: as soon as room frees
 * the document waiting longest goes in, ahead of any that arrives later (the flooding client's next
 * one), whatever their sizes (a small one never passes a large one waiting, or a stream of small
 * ones would keep it out). Waiting bodies are already in memory, charged to the kit's budget, so
 * they are bounded too: at most `maxWaiting` bytes wait (one largest document); past that the waiter
 * whose client would hold the most is refused to make room when that is at least twice what the
 * newcomer's would (as the kit's body budget does, body.ts: one client's large waiter cannot keep
 * every other client's small one out, nor a small one push out a large one), else the newcomer. A
 * waiter leaves
 * when its client does (the signal) and after `waitMs` (a 503).
 */
import { busy } from '../../kit/server/index.js';

interface Waiter {
  client: string;
  n: number;
  admit(): void;
  refuse(err: Error): void;
}

export class IngestShare {
  private held = 0;
  private readonly byClient = new Map<string, number>();
  private readonly waiting: Waiter[] = [];
  private waitingBytes = 0;

  constructor(
    readonly total: number,
    readonly maxWaiting = total,
    readonly waitMs = 120_000,
  ) {}

  /** Bytes held and waiting (for tests and /info-like figures). */
  get stats() {
    return { held: this.held, waiting: this.waitingBytes, waiters: this.waiting.length };
  }

  private fits(client: string, n: number): boolean {
    const mine = this.byClient.get(client) ?? 0;
    return (this.held === 0 || this.held + n <= this.total) && (mine === 0 || mine + n <= this.total / 2);
  }

  /**
   * Holds `n` bytes for `client` while `work` runs; when they do not fit, waits for room in its
   * turn (a 503 when the client is over its half, already has one waiting, or no room to wait).
   */
  async run<T>(client: string, n: number, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const mine = this.byClient.get(client) ?? 0;
    if (mine > 0 && mine + n > this.total / 2)
      throw busy(
        `busy: this client has ${mine} bytes of documents being ingested (at most half of ${this.total} while others may need room); retry when they are answered`,
      );
    if (this.waiting.length > 0 || !this.fits(client, n)) await this.wait(client, n, signal);
    else this.take(client, n);
    try {
      return await work();
    } finally {
      this.held -= n;
      const left = (this.byClient.get(client) ?? n) - n;
      if (left > 0) this.byClient.set(client, left);
      else this.byClient.delete(client);
      this.pump();
    }
  }

  private take(client: string, n: number): void {
    this.held += n;
    this.byClient.set(client, (this.byClient.get(client) ?? 0) + n);
  }

  private full(): Error {
    return busy(
      `busy: ${this.held} bytes of documents are being ingested (at most ${this.total} at once) and ${this.waitingBytes} wait; retry shortly`,
    );
  }

  private wait(client: string, n: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.waiting.some((w) => w.client === client))
      throw busy(
        'busy: this client already has a document waiting for room to be ingested; retry when it is answered',
      );
    const mine = (this.byClient.get(client) ?? 0) + n;
    while (this.waitingBytes + n > this.maxWaiting) {
      // The waiter whose client would hold the most gives way if that is twice the newcomer's.
      let most: Waiter | undefined;
      for (const w of this.waiting) if (!most || this.wouldHold(w) > this.wouldHold(most)) most = w;
      if (!most || this.wouldHold(most) < 2 * mine) throw this.full();
      this.drop(most);
      most.refuse(this.full());
      this.pump(); // the one behind it may fit where it did not
    }
    // All that waited went in (or gave way): the newcomer goes in at once if it fits.
    if (this.waiting.length === 0 && this.fits(client, n)) {
      this.take(client, n);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', gone);
      };
      const w: Waiter = {
        client,
        n,
        admit: () => {
          done();
          resolve();
        },
        refuse: (err) => {
          done();
          reject(err);
        },
      };
      const leave = (err: Error) => {
        this.drop(w);
        w.refuse(err);
        this.pump(); // the one behind it may fit where it did not
      };
      const gone = () => leave(busy('the client left while its document waited for room'));
      const timer = setTimeout(() => leave(this.full()), this.waitMs);
      timer.unref();
      if (signal?.aborted) return leave(busy('the client left while its document waited for room'));
      signal?.addEventListener('abort', gone, { once: true });
      this.waiting.push(w);
      this.waitingBytes += n;
    });
  }

  private wouldHold(w: Waiter): number {
    return (this.byClient.get(w.client) ?? 0) + w.n;
  }

  private drop(w: Waiter): void {
    const i = this.waiting.indexOf(w);
    if (i < 0) return;
    this.waiting.splice(i, 1);
    this.waitingBytes -= w.n;
  }

  /** Lets in waiting documents, oldest first, while the oldest fits. */
  private pump(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.client, this.waiting[0]!.n)) {
      const w = this.waiting.shift()!;
      this.waitingBytes -= w.n;
      this.take(w.client, w.n); // now, not when run resumes, so that the next check sees it
      w.admit();
    }
  }
}
