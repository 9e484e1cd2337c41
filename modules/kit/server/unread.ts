/**
 * Answers written and not yet taken by their clients, bounded across all connections (request
 * bodies have their own budget, ./body.ts). Without it each connection that asked for a large
 * answer (a search, a batch of embeddings: several MiB) and never read kept that answer in its
 * socket's write buffer until the idle timeout: 150 such connections to 4 MiB answers held 644 MiB
 * (test/security/kit-unread-answers.test.ts), past the embeddings container's 1 GiB with ~240.
 *
 * Why closing connections and not refusing work: an answer is held only after its work is done,
 * so refusing new requests does not free what is held, and requests read while under the budget
 * can still all finish over it. Why not a cap per connection: one answer may be legitimately
 * larger than any cap worth having (vectors answers up to 100,000 points), and a client that reads
 * it slowly must get it. So: over the budget, the connections whose clients have taken nothing for
 * longest are closed first, until the rest fit; the connection being written to is never closed
 * for it (one answer may exceed the whole budget). The bytes held are then at most the budget plus
 * the answer being written. A client that reads, however slowly, takes bytes and moves to the back
 * of the line; it is closed only when every connection idle longer than it does not free enough.
 * Between clients (the name a connection's latest request's token gives, as in ./queue.ts and the
 * body budget; no token: anonymous), the client holding the most unread bytes gives way first: a
 * client keeping many connections, each read a little and often, otherwise never was the one
 * closed and an honest slow reader was (test/security/kit-unread-clients.test.ts).
 *
 * Counted from Node's `socket.writableLength`, only once a write needed 'drain' (over the socket's
 * high-water mark): 'drain' then comes, and frees the charge, when the client has read it all. What
 * stays below the mark is a few KiB a connection, bounded by the connection cap. Answers kept in
 * order behind an unfinished earlier one on the same connection (./wire.ts, `pending`, up to 32)
 * are counted too: behind a streamed answer its client does not read they waited as long (16 held
 * 32 MiB for 4 connections in the test). Such a connection is judged by when its client last took
 * bytes, like any other.
 */
import type { Socket } from 'node:net';

/** What the bound needs of a connection (./wire.ts's Conn). */
export interface Reader {
  readonly socket: Socket;
  /** Bytes charged: written and not yet taken by the client, and answers waiting their turn. */
  unread: number;
  /** Of those, answers kept in order behind an unfinished one (kept up to date by the connection). */
  pendingBytes: number;
  /** Of those, in the socket, as last measured. */
  sent: number;
  /** Bytes libuv had still to hand to the kernel, as last measured (see queuedInLibuv). */
  inFlight: number;
  /** When its client last took bytes of an answer, or was first given some to take (ms). */
  lastRead: number;
  /** Who its latest request's token named (./clients.ts); undefined: anonymous, as in ./queue.ts. */
  readonly client: string | undefined;
  destroy(): void;
}

/**
 * What libuv has still to write of the socket's queued writes. `writableLength` counts a write
 * whole until all of it is taken (a 2 MiB answer stays 2 MiB while a client reads it slowly), so
 * it cannot tell a slow reader from one that reads nothing; the handle's `writeQueueSize` falls as
 * the kernel takes bytes (measured: 1.69, 1.29, 0.93, 0.53, 0.12 MiB, 30 ms apart, for a client
 * reading 16 KiB every 5 ms). It is the handle's own field (no public API gives it); where it is
 * missing, only whole writes taken count as reading.
 */
function queuedInLibuv(socket: Socket): number | undefined {
  const size = (socket as unknown as { _handle?: { writeQueueSize?: unknown } | null })._handle
    ?.writeQueueSize;
  return typeof size === 'number' ? size : undefined;
}

export class UnreadAnswers {
  used = 0;
  /** Connections closed to keep within the budget. */
  closed = 0;
  readonly max: number;
  private readonly held = new Set<Reader>();
  private readonly onClose: (bytes: number, idleMs: number) => void;

  constructor(max: number, onClose: (bytes: number, idleMs: number) => void) {
    this.max = max;
    this.onClose = onClose;
  }

  /** Measures what `c`'s client has not taken yet; taking any counts as reading. */
  measure(c: Reader, now = Date.now()): void {
    const s = c.socket;
    const sent = s.destroyed || !s.writableNeedDrain ? 0 : s.writableLength;
    const inFlight = queuedInLibuv(s) ?? sent;
    const charge = s.destroyed ? 0 : sent + c.pendingBytes;
    if (sent < c.sent || inFlight < c.inFlight || c.unread === 0) c.lastRead = now;
    this.used += charge - c.unread;
    c.unread = charge;
    c.sent = sent;
    c.inFlight = inFlight;
    if (charge > 0) this.held.add(c);
    else this.held.delete(c);
  }

  /** The connection is closed: its answers are no longer held. */
  release(c: Reader): void {
    this.used -= c.unread;
    c.unread = 0;
    c.sent = 0;
    this.held.delete(c);
  }

  /**
   * After a write to `writer`: over the budget, closes connections of the client holding the most
   * unread bytes (least recently read first), then of the next, until the rest fit.
   */
  written(writer: Reader): void {
    // The hot path: nothing waits.
    if (writer.unread === 0 && writer.pendingBytes === 0 && !writer.socket.writableNeedDrain) return;
    const now = Date.now();
    this.measure(writer, now);
    if (this.used <= this.max) return;
    const waiting: Reader[] = [];
    const byClient = new Map<string, number>();
    for (const c of this.held) {
      if (c !== writer) this.measure(c, now);
      if (c.unread === 0) continue;
      const k = c.client ?? 'anonymous';
      byClient.set(k, (byClient.get(k) ?? 0) + c.unread);
      if (c !== writer) waiting.push(c);
    }
    waiting.sort((a, b) => a.lastRead - b.lastRead);
    while (this.used > this.max && waiting.length > 0) {
      // First come, first served between clients let one reading a little on many connections
      // (always recent) get an honest slow reader closed: the client holding most gives way.
      let most = -1;
      let pick = 0;
      for (let i = 0; i < waiting.length; i++) {
        const held = byClient.get(waiting[i]!.client ?? 'anonymous')!;
        if (held > most) {
          most = held;
          pick = i;
        }
      }
      const c = waiting.splice(pick, 1)[0]!;
      const k = c.client ?? 'anonymous';
      byClient.set(k, most - c.unread);
      this.closed++;
      this.onClose(c.unread, now - c.lastRead);
      this.release(c);
      c.destroy();
    }
  }
}
