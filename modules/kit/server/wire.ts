/**
 * One HTTP/1.1 connection of the kit's server, on a plain node:net socket: requests parsed by
 * ./request-parser.ts, each handed to the kit as soon as its body is in (or at once, while a long
 * body streams in), answers written in request order whatever order they are ready in (pipelining),
 * `100 Continue` when the request is first in line, bodies charged to the shared budget as they
 * arrive, reading paused while too many answers are pending or the client does not read them.
 * The timeouts are checked by the server's sweep (./server.ts) from the times kept here. One request
 * and its answer's state are ./exchange.ts; the spelling of an answer's head ./answer-head.ts.
 *
 * Why not node:http: its IncomingMessage/ServerResponse streams, per-request listeners and timers
 * cost ~20 µs of CPU a request hot and ~30 µs cold (modules/kit/README.md, "Figures"), as much as
 * a vector search; this does the same work with a few string operations and one write.
 */
import type { Socket } from 'node:net';
import { reason } from './answer-head.js';
import { busy, HttpError } from './errors.js';
import { Exchange } from './exchange.js';
import { ParseError, type RequestHead, RequestParser } from './request-parser.js';
import type { Reader } from './unread.js';
import type { WireHost } from './wire-host.js';

/** What an answer kept for its turn holds (for ./unread.ts). */
const heldSize = (a: string | [string, Uint8Array]) =>
  typeof a === 'string' ? a.length : a[0].length + a[1].byteLength;

/** Answers pending at once on one connection before it stops reading (node:http has no bound). */
const MAX_PENDING = 32;

export class Conn implements Reader {
  readonly socket: Socket;
  private readonly host: WireHost;
  private readonly parser: RequestParser;
  /** Requests read and not yet answered, in order: the first is the one being answered. */
  readonly line: Exchange[] = [];
  /** The request whose body is arriving. */
  private receiving: Exchange | undefined;
  /** No more requests are read (close after the answers): an error, `Connection: close`, draining. */
  closing = false;
  dead = false;
  /** Times for the server's timeout sweep (ms since the epoch). */
  messageStart = Date.now();
  lastActive = this.messageStart;
  served = 0;
  /** For ./unread.ts: answer bytes the client has not taken, and when it last took some. */
  unread = 0;
  pendingBytes = 0;
  sent = 0;
  inFlight = 0;
  lastRead = 0;
  /** Who this connection's latest request named (for ./unread.ts; set by the server once authorised). */
  client: string | undefined = undefined;
  /** Status to answer (then close) once the line is empty: a protocol error or a timeout. */
  private fatal = 0;

  constructor(socket: Socket, host: WireHost) {
    this.socket = socket;
    this.host = host;
    this.parser = new RequestParser(
      { maxHeaderBytes: host.maxHeaderBytes, maxHeaders: host.maxHeaders },
      {
        head: (h) => this.onHead(h),
        body: (c) => this.onBody(c),
        end: () => this.onEnd(),
      },
    );
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // The client closed its side: gone, as node:http takes it (its queued work is dropped).
    socket.on('end', () => this.destroy());
    socket.on('drain', () => {
      if (this.unread > 0) this.host.answers.measure(this);
      this.maybeResume();
    });
    socket.on('error', () => undefined); // EPIPE, ECONNRESET: 'close' follows
    socket.on('close', () => this.onClose());
  }

  get requests(): number {
    return this.line.length;
  }

  /** Requests' work held through ctx.hold (work a module queues itself), not yet settled. */
  held = 0;

  holdsWork(): boolean {
    return this.held > 0 || this.host.holdsWork(this.socket);
  }

  /** True while a request head is arriving (the head timeout applies) rather than its body. */
  get inHead(): boolean {
    return this.parser.midMessage && this.receiving === undefined;
  }

  /** Some of a request has arrived, not all of it (bytes held back while paused do not count). */
  get midMessage(): boolean {
    if (this.receiving !== undefined) return !this.receiving.complete;
    return this.parser.midMessage && !this.parser.paused;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    const now = Date.now();
    this.lastActive = now;
    if (!this.midMessage) this.messageStart = now;
    try {
      this.parser.feed(chunk);
    } catch (err) {
      this.protocolError(err as Error);
      return;
    }
    // A body still arriving: its handler may start (e.g. to refuse it, or to read it as it comes).
    const r = this.receiving;
    if (r && !r.dispatched) {
      r.dispatched = true;
      this.host.dispatch(r);
    }
  }

  private onHead(h: RequestHead): void {
    const ex = new Exchange(this, h);
    this.line.push(ex);
    this.receiving = ex;
    this.host.touched(this);
    if (!h.keepAlive) this.closing = true;
    if (!h.chunked && h.bodyLength > this.host.maxBodyBytes) {
      // Refused before reading: the answer closes the connection, which ends the upload.
      ex.bodyError = new HttpError(413, this.host.maxBodyText);
      ex.continueWanted = false;
      this.stopReading();
      ex.dispatched = true;
      this.host.dispatch(ex);
      return;
    }
    // Its body is charged to its client (./body.ts): named now, before the first piece arrives.
    if (h.chunked || h.bodyLength > 0) this.host.name(ex);
    if (ex.continueWanted && this.line[0] === ex) this.sendContinue(ex);
  }

  /**
   * The budget gives this body's room to another client's (./body.ts): refused as over the budget
   * (503 + Retry-After from json()/bytes()), nothing more read, the connection closed after the answer.
   */
  refuseBody(ex: Exchange): void {
    if (ex !== this.receiving) return;
    ex.fail(busy('busy: other clients need room for their request bodies; retry shortly'));
    this.stopReading();
  }

  private onBody(chunk: Buffer): void {
    const ex = this.receiving!;
    ex.size += chunk.length;
    if (ex.bodyError) return;
    if (ex.size > this.host.maxBodyBytes) {
      ex.fail(new HttpError(413, this.host.maxBodyText));
      this.host.budget.give(ex);
      this.stopReading();
      return;
    }
    if (!this.host.budget.take(ex, chunk.length)) {
      ex.fail(busy('busy: too many request bodies are being received; retry shortly'));
      this.host.budget.give(ex);
      this.stopReading();
      return;
    }
    if (!ex.streaming) {
      ex.append(chunk);
      return;
    }
    // Read as a stream: no more is read while a piece waits or is held (ex.stream()).
    ex.piece(chunk);
    this.socket.pause();
  }

  /** A streamed piece was used: its bytes are given back to the budget. */
  pieceUsed(ex: Exchange, n: number): void {
    this.host.budget.giveSome(ex, n);
  }

  /** A streamed body's iterator waits for a piece: reads resume (unless stopped meanwhile). */
  wantBody(ex: Exchange): void {
    if (this.dead || ex !== this.receiving || ex.bodyError !== undefined || this.parser.paused) return;
    this.socket.resume();
  }

  private onEnd(): boolean {
    const ex = this.receiving!;
    this.receiving = undefined;
    this.messageStart = Date.now();
    ex.ended();
    // A streamed body paused reads while its pieces were held: the next request is read as usual.
    if (ex.streaming) this.socket.resume();
    if (!ex.dispatched) {
      ex.dispatched = true;
      this.host.dispatch(ex);
    }
    if (this.closing) {
      this.parser.stop();
      return false;
    }
    if (this.line.length < MAX_PENDING && !this.socket.writableNeedDrain) return true;
    // Enough answers pending: read no more until they are written (what is buffered waits too).
    this.socket.pause();
    return false;
  }

  private stopReading(): void {
    this.closing = true;
    this.parser.stop();
    this.socket.pause();
  }

  private maybeResume(): void {
    if (this.closing || this.dead || !this.parser.paused) return;
    if (this.line.length >= MAX_PENDING || this.socket.writableNeedDrain) return;
    this.messageStart = Date.now();
    this.socket.resume();
    try {
      this.parser.resume();
    } catch (err) {
      this.protocolError(err as Error);
    }
  }

  private sendContinue(ex: Exchange): void {
    ex.continueWanted = false;
    if (!ex.complete && !ex.bodyError) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
  }

  /** Malformed bytes: the Node-like status once the answers before are written, then close. */
  private protocolError(err: Error): void {
    const status = err instanceof ParseError ? err.status : 400;
    this.host.clientError(status, err.message);
    this.stopReading();
    // The request being read when the error came is not answered; those before it are.
    if (this.receiving && !this.receiving.complete) {
      const ex = this.receiving;
      this.receiving = undefined;
      this.line.splice(this.line.indexOf(ex), 1);
      ex.lost();
      this.host.budget.give(ex);
    }
    this.fatal = status;
    if (this.line.length === 0) this.writeFatal();
  }

  /** The request timeout or head timeout passed: 408 if nothing is being answered, then close. */
  timedOut(): void {
    this.host.clientError(408, 'ERR_HTTP_REQUEST_TIMEOUT');
    if (this.line.some((ex) => ex.started || ex.pending !== undefined)) {
      this.destroy();
      return;
    }
    for (const ex of this.line.splice(0)) {
      ex.lost();
      this.host.budget.give(ex);
    }
    this.receiving = undefined;
    this.stopReading();
    this.fatal = 408;
    this.writeFatal();
  }

  private writeFatal(): void {
    const s = this.fatal;
    this.socket.write(`HTTP/1.1 ${s} ${reason(s)}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () =>
      this.socket.destroy(),
    );
    setTimeout(() => this.socket.destroy(), 1000).unref(); // a client that does not read
  }

  /** Writes a whole answer (head as built by the server, ASCII; body UTF-8 text or bytes), in order. */
  answer(ex: Exchange, head: string, body: string | Uint8Array, close: boolean): void {
    if (ex.gone || this.dead) return;
    if (close) this.closing = true;
    if (this.line[0] !== ex) {
      ex.pending = typeof body === 'string' ? head + body : [head, body];
      ex.pendingClose = close;
      this.pendingBytes += heldSize(ex.pending);
      this.host.answers.written(this);
      return;
    }
    this.put(typeof body === 'string' ? head + body : [head, body]);
    this.finished(ex, close);
  }

  private put(data: string | [string, Uint8Array]): void {
    this.lastActive = Date.now();
    if (typeof data === 'string') this.socket.write(data);
    else {
      this.socket.cork();
      this.socket.write(data[0], 'latin1');
      if (data[1].byteLength > 0) this.socket.write(data[1]);
      this.socket.uncork();
    }
    this.host.answers.written(this);
  }

  /** Resolves when `ex` is first in line (its streamed answer may start) or its client left. */
  turn(ex: Exchange): Promise<void> {
    if (this.line[0] === ex || ex.gone) return Promise.resolve();
    return new Promise((r) => {
      ex.turnWaiter = r;
    });
  }

  /** Raw bytes of a streamed answer (first in line); false: wait for 'drain' (see wait()). */
  write(ex: Exchange, data: string): boolean {
    ex.started = true;
    this.lastActive = Date.now();
    const ok = this.socket.write(data);
    this.host.answers.written(this);
    return ok;
  }

  /**
   * Bytes of a streamed answer, resolved once the socket has handed them all to the kernel (or the
   * client left): the caller may then refill the same buffer (a file sent through one buffer).
   */
  writeAll(ex: Exchange, data: Uint8Array): Promise<void> {
    ex.started = true;
    this.lastActive = Date.now();
    if (this.dead) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('close', done);
      this.socket.write(data, done);
      this.host.answers.written(this);
    });
  }

  /** Waits until the client read what was written, or left. */
  wait(ex: Exchange): Promise<void> {
    if (ex.gone || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((r) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        r();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /** The streamed answer of `ex` is over. */
  end(ex: Exchange, close: boolean): void {
    if (ex.gone || this.dead) return;
    if (close) this.closing = true;
    this.finished(ex, close);
  }

  /** Abandons an answer half written (an error mid-stream): the connection cannot carry on. */
  abort(): void {
    this.destroy();
  }

  private finished(ex: Exchange, close: boolean): void {
    this.line.shift();
    this.served++;
    this.host.budget.give(ex);
    ex.charge = 0;
    if (close) {
      this.close();
      return;
    }
    for (;;) {
      const next = this.line[0];
      if (!next) break;
      if (next.continueWanted) this.sendContinue(next);
      if (next.pending !== undefined) {
        const data = next.pending;
        next.pending = undefined;
        this.pendingBytes -= heldSize(data);
        this.put(data);
        this.line.shift();
        this.served++;
        this.host.budget.give(next);
        if (next.pendingClose) {
          this.close();
          return;
        }
        continue;
      }
      const t = next.turnWaiter;
      next.turnWaiter = undefined;
      t?.();
      break;
    }
    this.host.touched(this);
    if (this.line.length > 0) return;
    if (this.fatal) this.writeFatal();
    else if (this.closing && !this.receiving) this.close();
    else {
      this.messageStart = Date.now();
      this.maybeResume();
    }
  }

  /** Ends the connection once what was written is flushed (the client may not close its side). */
  close(): void {
    if (this.dead) return;
    this.closing = true;
    this.parser.stop();
    this.socket.end(() => this.socket.destroy());
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private onClose(): void {
    this.dead = true;
    this.parser.stop();
    for (const ex of this.line.splice(0)) {
      ex.lost();
      this.host.budget.give(ex);
    }
    this.receiving = undefined;
    this.host.answers.release(this);
    this.host.closed(this);
  }
}
