/**
 * A strict HTTP/1.1 request parser for the kit's server (./wire.ts): fed the bytes of one
 * connection as they arrive, it hands over each request head and then its body bytes, one request
 * after the other (pipelining). Strict wherever leniency would let a client smuggle a second
 * request past the first, or confuse a proxy in front of us: Content-Length beside
 * Transfer-Encoding, two Content-Lengths, a Content-Length that is not digits, a transfer coding
 * other than chunked, bad or overflowing chunk sizes, folded header lines, bare CR or LF, NUL and
 * other control bytes in the head, a head over the size or header-count limit. Any of these ends
 * the connection with a Node-like status (400, 431); nothing after the bad bytes is read.
 */
import type { IncomingHttpHeaders } from 'node:http';

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

const HEAD_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');
// Bytes a head may hold: HTAB, printable ASCII and obs-text, CR only before LF and LF only after CR;
// NUL, other controls, DEL, a bare CR or LF are refused (one scan of the head).
const BAD_HEAD_BYTE = /[^\t\r\n\x20-\x7e\x80-\xff]|\r(?!\n)|(?<!\r)\n/;
const REQUEST_LINE = /^([A-Z]{1,20}) (\/[\x21-\x7e]*) HTTP\/1\.([01])$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const DIGITS = /^[0-9]{1,15}$/;
// 1–8 significant hex digits (at most 4 GiB: no overflow), optional extensions without controls.
const CHUNK_SIZE = /^0*([0-9A-Fa-f]{1,8})[ \t]*(?:;[\t\x20-\x7e\x80-\xff]*)?$/;
/** Headers a request may carry once: a repeat is refused (what would it mean?). */
const SINGLE = new Set([
  'content-length',
  'transfer-encoding',
  'host',
  'authorization',
  'content-type',
  'expect',
]);

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'stopped';

const isOws = (c: number) => c === 0x20 || c === 0x09;

/** Header names seen, as sent → lower case (checked as tokens once): clients send the same few. */
const names = new Map<string, string>();

function headerName(raw: string): string {
  const known = names.get(raw);
  if (known !== undefined) return known;
  if (!TOKEN.test(raw)) throw new ParseError(400, 'a malformed header field');
  const lower = raw.toLowerCase();
  if (names.size < 512) names.set(raw, lower);
  return lower;
}

/** The value of a header line without the optional whitespace around it (only SP and HTAB). */
function owsTrim(line: string, from: number): string {
  let a = from;
  let b = line.length;
  while (a < b && isOws(line.charCodeAt(a))) a++;
  while (b > a && isOws(line.charCodeAt(b - 1))) b--;
  return line.slice(a, b);
}

function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  for (const t of value.toLowerCase().split(',')) if (t.trim() === token) return true;
  return false;
}

export function parseHead(text: string, limits: ParserLimits): RequestHead {
  if (BAD_HEAD_BYTE.test(text))
    throw new ParseError(400, 'a control byte, bare CR or bare LF in the request head');
  const lines = text.split('\r\n');
  const m = REQUEST_LINE.exec(lines[0]!);
  if (!m) throw new ParseError(400, 'a malformed request line');
  if (lines.length - 1 > limits.maxHeaders) throw new ParseError(431, 'too many header fields');
  const headers: Record<string, string | string[]> = { __proto__: null } as never;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    // No colon, whitespace before it, or a folded (obs-fold) line starting with whitespace: not a
    // token, refused, never guessed at.
    const colon = line.indexOf(':');
    const key = headerName(colon > 0 ? line.slice(0, colon) : '');
    const value = owsTrim(line, colon + 1);
    const had = headers[key];
    if (had === undefined) headers[key] = key === 'set-cookie' ? [value] : value;
    else if (SINGLE.has(key)) throw new ParseError(400, `${key} given twice`);
    else if (Array.isArray(had)) had.push(value);
    else headers[key] = `${had}${key === 'cookie' ? '; ' : ', '}${value}`;
  }
  const h = headers as IncomingHttpHeaders;
  const minor = m[3] === '1' ? '1.1' : '1.0';
  if (minor === '1.1' && h.host === undefined) throw new ParseError(400, 'no Host header');
  let bodyLength = 0;
  let chunked = false;
  const te = h['transfer-encoding'];
  const cl = h['content-length'];
  if (te !== undefined) {
    if (cl !== undefined) throw new ParseError(400, 'both Content-Length and Transfer-Encoding');
    if (minor === '1.0') throw new ParseError(400, 'Transfer-Encoding in HTTP/1.0');
    if (te.toLowerCase() !== 'chunked') throw new ParseError(400, 'a transfer coding other than chunked');
    chunked = true;
  } else if (cl !== undefined) {
    if (!DIGITS.test(cl)) throw new ParseError(400, 'a malformed Content-Length');
    bodyLength = Number(cl);
  }
  const connection = h.connection;
  const keepAlive = minor === '1.1' ? !hasToken(connection, 'close') : hasToken(connection, 'keep-alive');
  const expect = h.expect;
  let expectContinue = false;
  if (expect !== undefined) {
    if (expect.toLowerCase() !== '100-continue') throw new ParseError(417, 'an unknown expectation');
    expectContinue = minor === '1.1';
  }
  return {
    method: m[1]!,
    url: m[2]!,
    headers: h,
    httpVersion: minor,
    bodyLength,
    chunked,
    keepAlive,
    expectContinue,
  };
}

export class RequestParser {
  private buf: Buffer | undefined;
  private state: State = 'head';
  private left = 0;
  private trailerBytes = 0;
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
          const end = buf.indexOf(HEAD_END);
          if (end < 0) {
            if (buf.length > this.limits.maxHeaderBytes)
              throw new ParseError(431, 'the request head is too large');
            this.buf = buf;
            return;
          }
          if (end + 4 > this.limits.maxHeaderBytes)
            throw new ParseError(431, 'the request head is too large');
          const head = parseHead(buf.toString('latin1', 0, end), this.limits);
          buf = buf.subarray(end + 4);
          this.state = head.chunked ? 'chunk-size' : 'length';
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
        case 'chunk-data': {
          const n = Math.min(this.left, buf.length);
          this.left -= n;
          const part = buf.subarray(0, n);
          buf = buf.subarray(n);
          this.on.body(part);
          if (this.stopped) return;
          if (this.left === 0) this.state = 'chunk-end';
          break;
        }
        case 'chunk-end': {
          if (buf.length < 2) {
            this.buf = buf;
            return;
          }
          if (buf[0] !== 0x0d || buf[1] !== 0x0a)
            throw new ParseError(400, 'chunk data longer than its size');
          buf = buf.subarray(2);
          this.state = 'chunk-size';
          break;
        }
        case 'chunk-size':
        case 'trailers': {
          const eol = buf.indexOf(CRLF);
          if (eol < 0) {
            if (buf.length > 1024 + (this.state === 'trailers' ? this.limits.maxHeaderBytes : 0))
              throw new ParseError(400, 'a chunk-size or trailer line too long');
            this.buf = buf;
            return;
          }
          const line = buf.toString('latin1', 0, eol);
          buf = buf.subarray(eol + 2);
          if (this.state === 'trailers') {
            if (line === '') {
              this.finish();
              break;
            }
            this.trailerBytes += eol + 2;
            // Trailers are checked like header fields and dropped (nothing here reads them).
            const colon = line.indexOf(':');
            if (
              this.trailerBytes > this.limits.maxHeaderBytes ||
              colon <= 0 ||
              !TOKEN.test(line.slice(0, colon)) ||
              BAD_HEAD_BYTE.test(line)
            )
              throw new ParseError(400, 'a malformed trailer field');
            break;
          }
          const m = CHUNK_SIZE.exec(line);
          if (!m) throw new ParseError(400, 'a malformed chunk size');
          const size = Number.parseInt(m[1]!, 16);
          if (size === 0) {
            this.state = 'trailers';
            this.trailerBytes = 0;
          } else {
            this.state = 'chunk-data';
            this.left = size;
          }
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
