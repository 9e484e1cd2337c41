/**
 * An HTTP/1.1 response parser for the kit's unix-socket client (./unix-http.ts), and for blueprint's
 * own calls to the container engine (src/core/services/engine-wire.ts imports it: a change here is
 * a change there; test/services/engine-wire.test.ts): fed the bytes of one connection as they
 * arrive, it finds the end of each response (Content-Length, chunked, or the connection's close)
 * and hands the whole body over. Strict where being lenient would let a confused or hostile module
 * smuggle a second answer into the next request's: two different Content-Lengths, Content-Length
 * beside Transfer-Encoding, a transfer coding other than chunked, bad chunk sizes, folded header
 * lines, bytes after an answer nobody asked for. Those rules are
 * ../server/framing.ts, the same the kit's server holds requests to; the status line, 1xx (skipped,
 * or refused with `interim: false`), HEAD/204/304, the body bound and reading until close are this
 * file's.
 */
import {
  bodyFraming,
  CHUNKED,
  ChunkedBody,
  type Fail,
  headEnd,
  headLines,
  keepsAlive,
  NO_FRAMING,
  parseFields,
} from '../server/framing.js';

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

const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: [\t\x20-\x7e\x80-\xff]*)?$/;
/** Fields an answer may carry once: a repeat (even of the same value) is refused. */
const ONCE = new Set(['content-length', 'transfer-encoding']);
const fail: Fail = (_status, message) => new ProtocolError(message);

type State =
  | { kind: 'head' }
  | { kind: 'length'; left: number }
  | { kind: 'chunked'; body: ChunkedBody }
  | { kind: 'until-close' };

export class ResponseParser {
  private buf: Buffer = Buffer.alloc(0);
  private state: State = { kind: 'head' };
  private head?: { status: number; headers: Record<string, string>; keepAlive: boolean };
  private body: Buffer[] = [];
  private bodyBytes = 0;
  private readonly maxHeaderBytes: number;
  private readonly maxBodyBytes: number;
  private readonly maxHeaders: number;
  private readonly interim: boolean;
  /** Whether the request was HEAD (its answer has headers only, whatever they say). */
  private headRequest = false;

  /**
   * `interim: false`: a 1xx answer is refused rather than skipped, for a peer asked nothing that
   * could earn one (no `Expect`, no upgrade): blueprint's engine calls (src/core/services/engine-wire.ts).
   */
  constructor(limits: {
    maxHeaderBytes: number;
    maxBodyBytes: number;
    maxHeaders?: number;
    interim?: boolean;
  }) {
    this.maxHeaderBytes = limits.maxHeaderBytes;
    this.maxBodyBytes = limits.maxBodyBytes;
    this.maxHeaders = limits.maxHeaders ?? 100;
    this.interim = limits.interim ?? true;
  }

  /** Before each request: what was asked decides whether its answer can have a body. */
  expect(method: string): void {
    this.headRequest = method === 'HEAD';
  }

  /** True once some byte of the current answer has arrived (a retry is then no longer safe). */
  get started(): boolean {
    return this.buf.length > 0 || this.state.kind !== 'head' || this.head !== undefined;
  }

  /** True once the current answer's final (non-1xx) head has been read: its body, if any, follows. */
  get headRead(): boolean {
    return this.head !== undefined;
  }

  /** Feeds bytes; returns the response they completed, if any. Throws ProtocolError. */
  push(chunk: Buffer): ParsedResponse | undefined {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const s = this.state;
      if (s.kind === 'head') {
        const end = headEnd(this.buf, this.maxHeaderBytes, 'answer', fail);
        if (end < 0) return undefined;
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
      const used = s.body.step(this.buf);
      if (used === 0) return undefined;
      if (s.body.data !== undefined) this.keep(s.body.data);
      this.buf = this.buf.subarray(used);
      if (s.body.done) return this.finish();
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
    const lines = headLines(text, fail);
    const m = STATUS_LINE.exec(lines[0]!);
    if (!m) throw new ProtocolError(`not an HTTP/1.x status line: ${JSON.stringify(lines[0]!.slice(0, 40))}`);
    const http10 = m[1] === '0';
    const status = Number(m[2]);
    // RFC 9110 15: codes are 100-599. Anything else is not HTTP; a 0xx must not pass for interim.
    if (status < 100 || status > 599) throw new ProtocolError(`status ${m[2]} is outside 100-599`);
    const headers = parseFields(lines, this.maxHeaders, ONCE, false, fail) as Record<string, string>;
    if (status < 200) {
      if (!this.interim)
        throw new ProtocolError(`an interim answer (${status}) to a request that asked for none`);
      // 100 Continue, 103 Early Hints: informational, the real answer follows. 101 would switch
      // protocols, which this client never asks for.
      if (status === 101) throw new ProtocolError('the server switched protocols (101) unasked');
      return undefined;
    }
    this.head = { status, headers, keepAlive: keepsAlive(http10, headers.connection) };
    // Checked before HEAD/204/304 are let go without a body: an answer with broken framing is not
    // trusted for anything, its connection least of all.
    const framing = bodyFraming(headers['transfer-encoding'], headers['content-length'], http10, fail);
    if (this.headRequest || status === 204 || status === 304) {
      // RFC 9110 8.6: a 204 never carries Content-Length or a chunked body (a HEAD or 304 may name
      // the size of what a GET would send). A 204 that names a body may still send it, later than
      // this read: on a kept connection those bytes would be read as the next request's answer.
      if (!this.headRequest && status === 204 && framing !== NO_FRAMING && framing !== 0)
        this.head.keepAlive = false;
      return this.finish();
    }
    if (framing === CHUNKED) {
      this.state = { kind: 'chunked', body: new ChunkedBody(this.maxHeaderBytes, fail) };
      return undefined;
    }
    if (framing !== NO_FRAMING) {
      if (framing > this.maxBodyBytes)
        throw new ProtocolError(`the answer is larger than ${this.maxBodyBytes} bytes`);
      if (framing === 0) return this.finish();
      this.state = { kind: 'length', left: framing };
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
