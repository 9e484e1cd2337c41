/**
 * An HTTP/1.1 response parser for the kit's unix-socket client (./unix-http.ts): fed the bytes of
 * one connection as they arrive, it finds the end of each response (Content-Length, chunked, or
 * the connection's close) and hands the whole body over. Strict where being lenient would let a
 * confused or hostile module smuggle a second answer into the next request's: two different
 * Content-Lengths, Content-Length beside Transfer-Encoding, a transfer coding other than chunked,
 * bad chunk sizes, folded header lines, bytes after an answer nobody asked for.
 */

export interface ParsedResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", " (set-cookie is not a concern here). */
  headers: Record<string, string>;
  body: Buffer;
  /** The server lets the connection be used again (HTTP/1.1 and no `Connection: close`). */
  keepAlive: boolean;
}

/** A response that breaks HTTP/1.1's framing or our bounds; the connection must be dropped. */
export class ProtocolError extends Error {
  readonly code = 'EPROTO';
}

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const CHUNK_SIZE = /^([0-9A-Fa-f]{1,8})[ \t]*(?:;.*)?$/;

type State =
  | { kind: 'head' }
  | { kind: 'length'; left: number }
  | { kind: 'chunk-size' }
  | { kind: 'chunk-data'; left: number }
  | { kind: 'chunk-end' }
  | { kind: 'trailers' }
  | { kind: 'until-close' };

export class ResponseParser {
  private buf: Buffer = Buffer.alloc(0);
  private state: State = { kind: 'head' };
  private head?: { status: number; headers: Record<string, string>; keepAlive: boolean };
  private body: Buffer[] = [];
  private bodyBytes = 0;
  private readonly maxHeaderBytes: number;
  private readonly maxBodyBytes: number;
  /** Whether the request was HEAD (its answer has headers only, whatever they say). */
  private headRequest = false;

  constructor(limits: { maxHeaderBytes: number; maxBodyBytes: number }) {
    this.maxHeaderBytes = limits.maxHeaderBytes;
    this.maxBodyBytes = limits.maxBodyBytes;
  }

  /** Before each request: what was asked decides whether its answer can have a body. */
  expect(method: string): void {
    this.headRequest = method === 'HEAD';
  }

  /** True once some byte of the current answer has arrived (a retry is then no longer safe). */
  get started(): boolean {
    return this.buf.length > 0 || this.state.kind !== 'head' || this.head !== undefined;
  }

  /** Feeds bytes; returns the response they completed, if any. Throws ProtocolError. */
  push(chunk: Buffer): ParsedResponse | undefined {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const s = this.state;
      if (s.kind === 'head') {
        const end = this.buf.indexOf(HEAD_END);
        if (end < 0) {
          if (this.buf.length > this.maxHeaderBytes) throw new ProtocolError('response headers too large');
          return undefined;
        }
        if (end > this.maxHeaderBytes) throw new ProtocolError('response headers too large');
        const text = this.buf.toString('latin1', 0, end);
        this.buf = this.buf.subarray(end + 4);
        const done = this.onHead(text);
        if (done) return done;
        continue;
      }
      if (s.kind === 'length') {
        const take = Math.min(s.left, this.buf.length);
        this.keep(this.buf.subarray(0, take));
        this.buf = this.buf.subarray(take);
        s.left -= take;
        if (s.left > 0) return undefined;
        return this.finish();
      }
      if (s.kind === 'until-close') {
        this.keep(this.buf);
        this.buf = Buffer.alloc(0);
        return undefined;
      }
      if (s.kind === 'chunk-data') {
        const take = Math.min(s.left, this.buf.length);
        this.keep(this.buf.subarray(0, take));
        this.buf = this.buf.subarray(take);
        s.left -= take;
        if (s.left > 0) return undefined;
        this.state = { kind: 'chunk-end' };
        continue;
      }
      // chunk-size, chunk-end and trailers are line by line.
      const eol = this.buf.indexOf(CRLF);
      if (eol < 0) {
        if (this.buf.length > this.maxHeaderBytes) throw new ProtocolError('chunk framing line too long');
        return undefined;
      }
      const line = this.buf.toString('latin1', 0, eol);
      this.buf = this.buf.subarray(eol + 2);
      if (s.kind === 'chunk-end') {
        if (line !== '') throw new ProtocolError('chunk data longer than its size');
        this.state = { kind: 'chunk-size' };
      } else if (s.kind === 'chunk-size') {
        const m = CHUNK_SIZE.exec(line);
        if (!m) throw new ProtocolError(`bad chunk size line: ${JSON.stringify(line.slice(0, 40))}`);
        const size = Number.parseInt(m[1]!, 16);
        this.state = size === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', left: size };
      } else if (line === '') return this.finish();
      // a trailer field: read past it (nothing here uses trailers)
    }
  }

  /** The connection closed: completes an answer read until close; anything else half-read is an error. */
  end(): ParsedResponse | undefined {
    if (this.state.kind === 'until-close') return this.finish(false);
    if (this.started) throw new ProtocolError('the connection closed in the middle of the answer');
    return undefined;
  }

  private keep(part: Buffer): void {
    if (part.length === 0) return;
    this.bodyBytes += part.length;
    if (this.bodyBytes > this.maxBodyBytes)
      throw new ProtocolError(`the answer is larger than ${this.maxBodyBytes} bytes`);
    this.body.push(part);
  }

  private onHead(text: string): ParsedResponse | undefined {
    const lines = text.split('\r\n');
    const m = STATUS_LINE.exec(lines[0]!);
    if (!m) throw new ProtocolError(`not an HTTP/1.x status line: ${JSON.stringify(lines[0]!.slice(0, 40))}`);
    const minor = m[1]!;
    const status = Number(m[2]);
    const headers: Record<string, string> = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new ProtocolError('a header line without a name');
      const name = line.slice(0, colon).toLowerCase();
      if (!TOKEN.test(name)) throw new ProtocolError('a header name that is not a token (folded or spaced)');
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    if (status < 200) {
      // 100 Continue, 103 Early Hints: informational, the real answer follows. 101 would switch
      // protocols, which this client never asks for.
      if (status === 101) throw new ProtocolError('the server switched protocols (101) unasked');
      return undefined;
    }
    const connection = (headers.connection ?? '').toLowerCase().split(/\s*,\s*/);
    const keepAlive = minor === '1' ? !connection.includes('close') : connection.includes('keep-alive');
    this.head = { status, headers, keepAlive };
    const te = headers['transfer-encoding'];
    const cl = headers['content-length'];
    if (this.headRequest || status === 204 || status === 304) return this.finish();
    if (te !== undefined) {
      if (cl !== undefined) throw new ProtocolError('both Transfer-Encoding and Content-Length');
      if (te.toLowerCase() !== 'chunked') throw new ProtocolError(`unsupported Transfer-Encoding: ${te}`);
      this.state = { kind: 'chunk-size' };
      return undefined;
    }
    if (cl !== undefined) {
      const values = new Set(cl.split(/\s*,\s*/));
      const only = values.size === 1 ? [...values][0]! : '';
      if (!/^\d{1,15}$/.test(only)) throw new ProtocolError(`bad Content-Length: ${cl.slice(0, 40)}`);
      const left = Number(only);
      if (left > this.maxBodyBytes)
        throw new ProtocolError(`the answer is larger than ${this.maxBodyBytes} bytes`);
      if (left === 0) return this.finish();
      this.state = { kind: 'length', left };
      return undefined;
    }
    // No framing: the body is what comes until the server closes (never kept alive).
    this.head.keepAlive = false;
    this.state = { kind: 'until-close' };
    return undefined;
  }

  private finish(reusable = true): ParsedResponse {
    const head = this.head!;
    const body = this.body.length === 1 ? this.body[0]! : Buffer.concat(this.body, this.bodyBytes);
    const rest = this.buf;
    this.head = undefined;
    this.body = [];
    this.bodyBytes = 0;
    this.state = { kind: 'head' };
    this.buf = Buffer.alloc(0);
    // Bytes after the answer, before we asked again: not ours to guess at; do not reuse.
    const keepAlive = reusable && head.keepAlive && rest.length === 0;
    return { status: head.status, headers: head.headers, body, keepAlive };
  }
}
