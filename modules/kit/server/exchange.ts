/**
 * One request on a connection of the kit's server and its answer's state: what a handler reads
 * (method, url, headers; the body as it arrives, charged to the shared budget by ./wire.ts, handed
 * over whole within the limits), the AbortSignal of a client that left, and an answer kept until
 * the ones before it on the connection are written (./wire.ts writes them in request order).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Charged, Holder } from './body.js';
import { ClientGoneError, HttpError } from './errors.js';
import type { RequestHead } from './request-parser.js';
import type { Conn } from './wire.js';

/** Pieces of a body (after its first) smaller than this are copied rather than kept as views. */
const COPY_BELOW = 16 * 1024;

/** The request as a handler sees it: the fields of node's IncomingMessage that modules use. */
export interface KitRequest {
  readonly method: string;
  readonly url: string;
  /** Lower-case names, like node's. */
  readonly headers: IncomingHttpHeaders;
  readonly httpVersion: string;
  readonly socket: Socket;
  /** The whole body has arrived. */
  readonly complete: boolean;
}

/** One request and its answer. */
export class Exchange implements KitRequest, Charged {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly httpVersion: string;
  readonly keepAlive: boolean;
  readonly conn: Conn;
  complete = false;
  /** The client left before the whole answer was written. */
  gone = false;
  /** Bytes taken from the budget for this body; given back when the answer is over. */
  charge = 0;
  /** @internal The budget's tally of this body's client while charged (./body.ts). */
  holder: Holder | undefined = undefined;
  /** Who the request's token names (./clients.ts), once `named` (read at the head when a body follows). */
  client: string | undefined = undefined;
  named = false;
  bodyError: HttpError | undefined;
  /**
   * The body's pieces in order: the first alone in `one` (most bodies are one piece, and need no
   * list), the list made at the second (morePieces). No array literal per request: a literal is an
   * allocation site, which V8 may switch to old space once a scavenge finds most of its objects
   * alive (as right after big uploads); then every later request's list was made there, dead at
   * once, keeping its young pieces alive until a mark-compact (PERF10, ./request-parser.ts's Head).
   */
  private one: Buffer | undefined;
  private chunks: Buffer[] | undefined;
  /** Where small pieces of the body after the first are copied (see append), and its bytes used. */
  private tail: Buffer | undefined;
  private tailUsed = 0;
  size = 0;
  dispatched = false;
  continueWanted: boolean;
  private waiter: { resolve(b: Buffer): void; reject(e: Error): void } | undefined;
  /** The body is read as a stream (stream()); `taken`: it was asked for, one way or the other. */
  streaming = false;
  private taken = false;
  /** The streamed piece handed over last: charged until the next is asked for. */
  private heldPiece = 0;
  private pieceWaiter:
    | { resolve(r: IteratorResult<Buffer, undefined>): void; reject(e: Error): void }
    | undefined;
  /** A whole answer, kept until the ones before it are written. */
  pending: string | [string, Uint8Array] | undefined;
  pendingClose = false;
  /** Set while a streamed answer waits for its turn. */
  turnWaiter: (() => void) | undefined;
  started = false;
  private ac: AbortController | undefined;

  constructor(conn: Conn, head: RequestHead) {
    this.conn = conn;
    this.method = head.method;
    this.url = head.url;
    this.headers = head.headers;
    this.httpVersion = head.httpVersion;
    this.keepAlive = head.keepAlive;
    this.continueWanted = head.expectContinue && (head.chunked || head.bodyLength > 0);
  }

  get socket(): Socket {
    return this.conn.socket;
  }

  /** Aborted when the client closes the connection before its answer (made on first use). */
  get signal(): AbortSignal {
    if (!this.ac) {
      this.ac = new AbortController();
      if (this.gone) this.ac.abort();
    }
    return this.ac.signal;
  }

  /** The body is still arriving and has not been refused (./body.ts may refuse it for room). */
  get arriving(): boolean {
    return !this.complete && this.bodyError === undefined && !this.gone;
  }

  /** The whole body, within the limits (413, 503 when over the budget). */
  body(): Promise<Buffer> {
    if (this.streaming) return Promise.reject(new Error('the request body is being read as a stream'));
    this.taken = true;
    if (this.bodyError) return Promise.reject(this.bodyError);
    if (this.gone) return Promise.reject(new ClientGoneError());
    if (this.complete) return Promise.resolve(this.joined());
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** The whole body when it is in and within the limits, else undefined (RequestContext.ready). */
  ready(): Buffer | undefined {
    if (this.streaming) return undefined;
    return this.complete && this.bodyError === undefined && !this.gone ? this.joined() : undefined;
  }

  /**
   * The body as it arrives (RequestContext.bodyStream): pieces already in first, then each as it is
   * read. ./wire.ts pauses the connection's reads while pieces wait or one is held, and resumes
   * them when the next is asked for and none waits; the piece handed over last is given back to
   * the budget then.
   */
  stream(): AsyncIterable<Buffer> {
    if (this.taken) throw new Error('the request body is read once: bodyStream() or bytes()/json()');
    this.taken = true;
    this.streaming = true;
    this.flushTail();
    const it: AsyncIterator<Buffer, undefined> & AsyncIterable<Buffer> = {
      next: () => this.nextPiece(),
      return: async () => {
        this.release();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  private release(): void {
    if (this.heldPiece > 0) this.conn.pieceUsed(this, this.heldPiece);
    this.heldPiece = 0;
  }

  private nextPiece(): Promise<IteratorResult<Buffer, undefined>> {
    this.release();
    if (this.bodyError) return Promise.reject(this.bodyError);
    if (this.gone) return Promise.reject(new ClientGoneError());
    this.flushTail();
    const piece = this.takePiece();
    if (piece !== undefined) {
      this.heldPiece = piece.length;
      return Promise.resolve({ done: false, value: piece });
    }
    if (this.complete) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => {
      this.pieceWaiter = { resolve, reject };
      this.conn.wantBody(this);
    });
  }

  /** @internal A piece of a streamed body: handed to a waiting iterator, else kept in order. */
  piece(piece: Buffer): void {
    this.append(piece);
    const w = this.pieceWaiter;
    if (w === undefined) return;
    this.pieceWaiter = undefined;
    this.flushTail();
    const p = this.takePiece()!;
    this.heldPiece = p.length;
    w.resolve({ done: false, value: p });
  }

  /**
   * @internal A piece of the body as it arrived. The first is kept as it is (a view of the read
   * buffer: most bodies are one piece, and copying it would cost every request). After it, a
   * piece under COPY_BELOW bytes is copied into a buffer of the body's own: a chunked body sent as
   * one-byte chunks made one Buffer view a byte (~90 bytes of heap each, the budget charged one),
   * and 3 MB of such body ended a service with a 256 MiB heap.
   */
  append(piece: Buffer): void {
    if (this.one === undefined && this.tail === undefined && !this.chunks?.length) {
      if (this.chunks === undefined) this.one = piece;
      else this.chunks.push(piece);
      return;
    }
    if (piece.length >= COPY_BELOW) {
      this.flushTail();
      this.list().push(piece);
      return;
    }
    if (this.tail !== undefined && this.tailUsed + piece.length > this.tail.length) this.flushTail();
    if (this.tail === undefined) {
      // Grows with the body (64 bytes, then twice the bytes so far, up to COPY_BELOW): a small
      // body does not get a large buffer for its second piece.
      this.tail = Buffer.allocUnsafe(Math.max(piece.length, Math.min(COPY_BELOW, Math.max(64, this.size))));
      this.tailUsed = 0;
    }
    piece.copy(this.tail, this.tailUsed);
    this.tailUsed += piece.length;
  }

  private flushTail(): void {
    if (this.tail === undefined) return;
    if (this.tailUsed > 0) this.list().push(this.tail.subarray(0, this.tailUsed));
    this.tail = undefined;
    this.tailUsed = 0;
  }

  /** The pieces as a list (from the second piece on: the first is moved into it). */
  private list(): Buffer[] {
    if (this.chunks === undefined) {
      this.chunks = morePieces(this.one);
      this.one = undefined;
    }
    return this.chunks;
  }

  /** The next piece in order, taken out. */
  private takePiece(): Buffer | undefined {
    const one = this.one;
    if (one === undefined) return this.chunks?.shift();
    this.one = undefined;
    return one;
  }

  private joined(): Buffer {
    this.flushTail();
    if (this.chunks !== undefined) {
      this.one = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      this.chunks = undefined;
    }
    this.one ??= Buffer.alloc(0);
    return this.one;
  }

  /** @internal */
  fail(err: HttpError | ClientGoneError): void {
    if (err instanceof HttpError) this.bodyError ??= err;
    this.one = undefined;
    this.chunks = undefined;
    this.tail = undefined;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
    const p = this.pieceWaiter;
    this.pieceWaiter = undefined;
    p?.reject(err);
  }

  /** @internal */
  ended(): void {
    this.complete = true;
    if (this.streaming) {
      const p = this.pieceWaiter;
      this.pieceWaiter = undefined;
      p?.resolve({ done: true, value: undefined });
      return;
    }
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve(this.joined());
  }

  /** @internal the connection closed under it */
  lost(): void {
    this.gone = true;
    this.ac?.abort();
    this.fail(new ClientGoneError());
    const t = this.turnWaiter;
    this.turnWaiter = undefined;
    t?.();
  }
}

/** A body's list of pieces, at its second: a function of its own, so its literals' site is multi-piece bodies' only. */
function morePieces(first: Buffer | undefined): Buffer[] {
  return first === undefined ? [] : [first];
}
