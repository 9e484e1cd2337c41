/**
 * A strict HTTP/1.1 request parser for the kit's server (./wire.ts): fed the bytes of one
 * connection as they arrive, it hands over each request head and then its body bytes, one request
 * after the other (pipelining). Strict wherever leniency would let a client smuggle a second
 * request past the first, or confuse a proxy in front of us: Content-Length beside
 * Transfer-Encoding, two Content-Lengths, a Content-Length that is not digits, a transfer coding
 * other than chunked, bad or overflowing chunk sizes, folded header lines, bare CR or LF, NUL and
 * other control bytes in the head, a head over the size or header-count limit. Any of these ends
 * the connection with a Node-like status (400, 431); nothing after the bad bytes is read. The
 * rules for header lines, Content-Length/Transfer-Encoding and chunked bodies are ./framing.ts,
 * shared with the kit's client (../client/response-parser.ts); the request line, Host, Expect and
 * the status of each refusal are this file's.
 */
import type { IncomingHttpHeaders } from 'node:http';
import {
  bodyFraming,
  CHUNKED,
  ChunkedBody,
  type Fail,
  headEnd,
  headLines,
  keepsAlive,
  parseFields,
} from './framing.js';

/** A request head as the kit's handlers see it (the fields of node's IncomingMessage they use). */
export interface RequestHead {
  method: string;
  /** The request target as sent (origin form: path and query). */
  url: string;
  /** Lower-case names, like node's: repeats joined with ", " (cookie with "; "). */
  headers: IncomingHttpHeaders;
  httpVersion: '1.0' | '1.1';
  /** Body framing: a length, chunked, or none. */
  bodyLength: number;
  chunked: boolean;
  keepAlive: boolean;
  expectContinue: boolean;
}

/** Why the parser stopped: the status to answer before closing. */
export class ParseError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface ParserEvents {
  /** A whole head (then its body, if any); may stop() the parser. */
  head(head: RequestHead): void;
  /** Bytes of the current request's body; may stop() the parser. */
  body(chunk: Buffer): void;
  /** The current request's body is complete: false pauses before the next request (resume() goes on). */
  end(): boolean;
}

export interface ParserLimits {
  maxHeaderBytes: number;
  maxHeaders: number;
}

const REQUEST_LINE = /^([A-Z]{1,20}) (\/[\x21-\x7e]*) HTTP\/1\.([01])$/;
/** Headers a request may carry once: a repeat is refused (what would it mean?). */
const SINGLE = new Set([
  'content-length',
  'transfer-encoding',
  'host',
  'authorization',
  'content-type',
  'expect',
]);

const fail: Fail = (status, message) => new ParseError(status, message);

type State = 'head' | 'length' | 'chunked' | 'stopped';

export function parseHead(text: string, limits: ParserLimits): RequestHead {
  const lines = headLines(text, fail);
  const m = REQUEST_LINE.exec(lines[0]!);
  if (!m) throw new ParseError(400, 'a malformed request line');
  const h = parseFields(lines, limits.maxHeaders, SINGLE, true, fail) as IncomingHttpHeaders;
  const minor = m[3] === '1' ? '1.1' : '1.0';
  if (minor === '1.1' && h.host === undefined) throw new ParseError(400, 'no Host header');
  const framing = bodyFraming(h['transfer-encoding'], h['content-length'], minor === '1.0', fail);
  const expect = h.expect;
  let expectContinue = false;
  if (expect !== undefined) {
    if (expect.toLowerCase() !== '100-continue') throw new ParseError(417, 'an unknown expectation');
    expectContinue = minor === '1.1';
  }
  // A request without either field has no body (RFC 9112 6.3), unlike an answer.
  return new Head(
    m[1]!,
    m[2]!,
    h,
    minor,
    Math.max(0, framing),
    framing === CHUNKED,
    keepsAlive(minor === '1.0', h.connection),
    expectContinue,
  );
}

/**
 * A class, not an object literal: a literal is an allocation site, and V8 switches a site to old
 * space once a scavenge finds most of its objects alive (seen right after big uploads); from then
 * on every request's head was made there, dead at once, keeping its young children alive until
 * the next mark-compact. With Exchange's pieces list and parseFields' record (./framing.ts)
 * likewise: vectors after its 20k upserts promoted ~400 B a query, ~100 without (PERF10).
 */
class Head implements RequestHead {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly headers: IncomingHttpHeaders,
    readonly httpVersion: '1.0' | '1.1',
    readonly bodyLength: number,
    readonly chunked: boolean,
    readonly keepAlive: boolean,
    readonly expectContinue: boolean,
  ) {}
}

export class RequestParser {
  private buf: Buffer | undefined;
  private state: State = 'head';
  private left = 0;
  /** The chunked body being read (made for the first chunked request, then reused). */
  private chunks: ChunkedBody | undefined;
  /** Set by the connection to stop between requests (pipelining backpressure); resume() goes on. */
  paused = false;
  /** True while some byte of a request has arrived and its body is not complete. */
  midMessage = false;
  private readonly limits: ParserLimits;
  private readonly on: ParserEvents;

  constructor(limits: ParserLimits, on: ParserEvents) {
    this.limits = limits;
    this.on = on;
  }

  /** Stops for good (after an error, or a request that closes the connection). */
  stop(): void {
    this.state = 'stopped';
    this.buf = undefined;
  }

  get stopped(): boolean {
    return this.state === 'stopped';
  }

  /** Feeds bytes; throws a ParseError on the first malformed byte. */
  feed(chunk: Buffer): void {
    if (this.state === 'stopped') return;
    this.buf = this.buf === undefined || this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.state === 'head' && this.buf.length > 0) this.midMessage = true;
    this.run();
  }

  resume(): void {
    this.paused = false;
    this.run();
  }

  private run(): void {
    let buf = this.buf;
    while (buf !== undefined && buf.length > 0 && !this.paused) {
      switch (this.state) {
        case 'head': {
          // An empty line before a request line is ignored (RFC 9112 2.2: some clients send CRLF after a body).
          if (buf[0] === 0x0d && buf[1] === 0x0a) {
            buf = buf.subarray(2);
            continue;
          }
          this.midMessage = true;
          const end = headEnd(buf, this.limits.maxHeaderBytes, 'request', fail);
          if (end < 0) {
            this.buf = buf;
            return;
          }
          const head = parseHead(buf.toString('latin1', 0, end), this.limits);
          buf = buf.subarray(end + 4);
          if (head.chunked) {
            this.state = 'chunked';
            if (this.chunks) this.chunks.reset();
            else this.chunks = new ChunkedBody(this.limits.maxHeaderBytes, fail);
          } else this.state = 'length';
          this.left = head.bodyLength;
          this.on.head(head);
          if (this.stopped) return;
          if (!head.chunked && head.bodyLength === 0) this.finish();
          break;
        }
        case 'length': {
          const n = Math.min(this.left, buf.length);
          this.left -= n;
          const part = n === buf.length ? buf : buf.subarray(0, n);
          buf = buf.subarray(n);
          this.on.body(part);
          if (this.stopped) return;
          if (this.left === 0) this.finish();
          break;
        }
        case 'chunked': {
          const chunks = this.chunks!;
          const used = chunks.step(buf);
          if (used === 0) {
            this.buf = buf;
            return;
          }
          buf = buf.subarray(used);
          if (chunks.data !== undefined) {
            this.on.body(chunks.data);
            if (this.stopped) return;
          }
          if (chunks.done) this.finish();
          break;
        }
        case 'stopped':
          return;
      }
    }
    if (this.state !== 'stopped') this.buf = buf;
  }

  private finish(): void {
    this.state = 'head';
    this.midMessage = false;
    if (!this.on.end()) this.paused = true;
  }
}
