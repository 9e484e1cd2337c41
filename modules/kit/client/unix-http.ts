/**
 * A small HTTP/1.1 client for one module calling another over the unix socket the wiring mounted
 * (docs/module-wiring.md): whole request in one write, whole answer back as bytes, kept-alive
 * connections. It exists for speed on the hot path of a composed module (rag's retrieval makes two
 * such calls a query): `node:http`'s client spends ~0.1 ms of CPU a request in its agent, request
 * and stream machinery, and several times that while its code is cold between queries. Streamed
 * answers (the llm's server-sent events) still go through `node:http`, which this does not replace.
 *
 * What it does: Content-Length and chunked answers (and answers read until the server closes),
 * 1xx skipped, HEAD/204/304 without a body; keep-alive (HTTP/1.1 unless `Connection: close`; an
 * idle connection closed after `idleMs`, and dropped as soon as the server closes it); a request
 * that meets a kept-alive connection the server closed before any byte of the answer is sent once
 * more on a new one (only when `retry` is set: the caller says the request is safe to repeat); a
 * deadline for the whole exchange; an AbortSignal; bounds on the answer's head and body. Header
 * values and the path are checked for CR/LF so no caller text can forge a header.
 */
import { connect, type Socket } from 'node:net';
import { CLIENT_IDLE_MS } from '../server/keep-alive.js';
import { type ParsedResponse, ProtocolError, ResponseParser } from './response-parser.js';

export type { ParsedResponse as UnixHttpResponse } from './response-parser.js';
export { ProtocolError } from './response-parser.js';

export interface UnixHttpOptions {
  socketPath: string;
  /**
   * An idle kept-alive connection is closed after this. Default CLIENT_IDLE_MS (58 s): just under
   * the kit server's keep-alive (../server/keep-alive.ts), so the client closes first; against
   * another server, keep it under that server's keep-alive timeout.
   */
  idleMs?: number;
  /** Idle connections kept at most. */
  maxIdle?: number;
  maxHeaderBytes?: number;
  maxBodyBytes?: number;
}

export interface UnixHttpRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** A string is sent as UTF-8; Content-Length is set from the bytes. */
  body?: string | Uint8Array;
  /** Deadline of the whole exchange: connecting, writing, and the answer's last byte. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Safe to send again when a kept-alive connection turns out closed before any answer. */
  retry?: boolean;
}

/** The exchange failed: `code` is the socket's (ECONNREFUSED, ENOENT, ECONNRESET…), ETIMEDOUT or EPROTO. */
export class UnixHttpError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

// ASCII only: the head goes out in the same UTF-8 write as the body.
const SAFE_VALUE = /^[\t\x20-\x7e]*$/;
const SAFE_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const SAFE_PATH = /^\/[\x21-\x7e]*$/;

interface Conn {
  socket: Socket;
  parser: ResponseParser;
  /** The exchange in progress, if any: gets every event of the socket. */
  on?: {
    response(r: ParsedResponse): void;
    fail(err: Error): void;
  };
  idleTimer?: NodeJS.Timeout;
  reused: boolean;
  dead: boolean;
}

export class UnixHttpClient {
  private readonly o: Required<UnixHttpOptions>;
  private readonly idle: Conn[] = [];
  private readonly all = new Set<Conn>();

  constructor(options: UnixHttpOptions) {
    this.o = {
      idleMs: CLIENT_IDLE_MS,
      maxIdle: 16,
      maxHeaderBytes: 16 * 1024,
      maxBodyBytes: 64 * 1024 * 1024,
      ...options,
    };
  }

  /** Connections open now (idle or busy). */
  get connections(): number {
    return this.all.size;
  }

  async request(r: UnixHttpRequest): Promise<ParsedResponse> {
    const head = this.head(r);
    const deadline = performance.now() + r.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      // A retry goes on a new connection: the other idle ones may be as stale as the first.
      const conn = (attempt === 0 ? this.idle.pop() : undefined) ?? this.open();
      try {
        return await this.exchange(conn, r, head, deadline);
      } catch (err) {
        const stale = (err as { stale?: boolean }).stale === true;
        if (stale && r.retry && attempt === 0 && !r.signal?.aborted) continue;
        throw err;
      }
    }
  }

  /** Closes every connection (idle ones at once; busy ones fail their exchange). */
  close(): void {
    for (const c of this.all) this.drop(c);
    this.idle.length = 0;
  }

  private head(r: UnixHttpRequest): string {
    if (!SAFE_NAME.test(r.method)) throw new TypeError(`bad method ${JSON.stringify(r.method)}`);
    if (!SAFE_PATH.test(r.path)) throw new TypeError(`bad path ${JSON.stringify(r.path)}`);
    let head = `${r.method} ${r.path} HTTP/1.1\r\nHost: localhost\r\n`;
    for (const [name, value] of Object.entries(r.headers ?? {})) {
      if (!SAFE_NAME.test(name) || !SAFE_VALUE.test(value))
        throw new TypeError(`header ${JSON.stringify(name)} has characters HTTP does not allow`);
      const lower = name.toLowerCase();
      if (
        lower === 'host' ||
        lower === 'content-length' ||
        lower === 'transfer-encoding' ||
        lower === 'connection'
      )
        throw new TypeError(`header ${name} is set by the client`);
      head += `${name}: ${value}\r\n`;
    }
    if (r.body !== undefined)
      head += `Content-Length: ${typeof r.body === 'string' ? Buffer.byteLength(r.body) : r.body.byteLength}\r\n`;
    return `${head}\r\n`;
  }

  private open(): Conn {
    const socket = connect({ path: this.o.socketPath });
    const conn: Conn = {
      socket,
      parser: new ResponseParser(this.o),
      reused: false,
      dead: false,
    };
    this.all.add(conn);
    socket.on('data', (chunk: Buffer) => {
      if (!conn.on) return this.drop(conn); // bytes nobody asked for
      let done: ParsedResponse | undefined;
      try {
        done = conn.parser.push(chunk);
      } catch (err) {
        return this.fail(conn, err as Error);
      }
      if (done) this.settle(conn, done);
    });
    socket.on('end', () => {
      if (!conn.on) return this.drop(conn);
      let done: ParsedResponse | undefined;
      try {
        done = conn.parser.end();
      } catch (err) {
        return this.fail(conn, err as Error);
      }
      if (done) this.settle(conn, done);
      else this.fail(conn, this.closedBeforeAnswer(conn, 'ECONNRESET'));
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'ECONNRESET';
      const early = !conn.parser.started && (code === 'ECONNRESET' || code === 'EPIPE');
      this.fail(conn, early ? this.closedBeforeAnswer(conn, code) : new UnixHttpError(code, err.message));
    });
    socket.on('close', () => this.fail(conn, this.closedBeforeAnswer(conn, 'ECONNRESET')));
    return conn;
  }

  /** The server closed before any byte of the answer: on a reused connection, a stale one. */
  private closedBeforeAnswer(conn: Conn, code: string): Error {
    const err = new UnixHttpError(code, `the connection closed before an answer (${code})`);
    if (conn.reused && !conn.parser.started) Object.assign(err, { stale: true });
    return err;
  }

  private exchange(conn: Conn, r: UnixHttpRequest, head: string, deadline: number): Promise<ParsedResponse> {
    return new Promise((resolve, reject) => {
      if (conn.idleTimer) clearTimeout(conn.idleTimer);
      const onAbort = () => this.fail(conn, r.signal!.reason ?? new UnixHttpError('ABORT_ERR', 'aborted'));
      const timer = setTimeout(
        () => this.fail(conn, new UnixHttpError('ETIMEDOUT', `no whole answer within ${r.timeoutMs} ms`)),
        Math.max(1, deadline - performance.now()),
      );
      const done = () => {
        clearTimeout(timer);
        r.signal?.removeEventListener('abort', onAbort);
        conn.on = undefined;
      };
      conn.on = {
        response: (res) => {
          done();
          resolve(res);
        },
        fail: (err) => {
          done();
          reject(err);
        },
      };
      if (r.signal?.aborted) return onAbort();
      r.signal?.addEventListener('abort', onAbort, { once: true });
      conn.parser.expect(r.method);
      if (r.body === undefined || typeof r.body === 'string')
        conn.socket.write(r.body ? head + r.body : head);
      else {
        conn.socket.cork();
        conn.socket.write(head);
        conn.socket.write(r.body);
        conn.socket.uncork();
      }
    });
  }

  private settle(conn: Conn, res: ParsedResponse): void {
    const on = conn.on;
    if (res.keepAlive && !conn.dead && this.idle.length < this.o.maxIdle) {
      conn.reused = true;
      conn.idleTimer = setTimeout(() => this.drop(conn), this.o.idleMs);
      conn.idleTimer.unref();
      this.idle.push(conn);
    } else this.drop(conn);
    on?.response(res);
  }

  private fail(conn: Conn, err: Error): void {
    const on = conn.on;
    this.drop(conn);
    on?.fail(err instanceof ProtocolError ? new UnixHttpError('EPROTO', err.message) : err);
  }

  private drop(conn: Conn): void {
    if (conn.idleTimer) clearTimeout(conn.idleTimer);
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    this.all.delete(conn);
    if (!conn.dead) {
      conn.dead = true;
      conn.socket.destroy();
    }
  }
}
