/**
 * HTTP/1.1 framing shared by both ends of the kit: the server's request parser
 * (./request-parser.ts) and the unix-socket client's response parser (../client/response-parser.ts).
 * One set of rules for the bytes that decide where a message ends, so a shape one side refuses the
 * other refuses too: header lines (a token name, no whitespace before the colon, no folding, no
 * control byte, bare CR or bare LF), optional whitespace trimmed as RFC 9110 defines it (SP and
 * HTAB only), fields that may appear once, Content-Length as plain digits, `chunked` as the only
 * transfer coding and never in HTTP/1.0, and the chunked body itself (chunk-size lines, chunk
 * data, the CRLF after it, trailers). Each side keeps its own error type: the caller passes `fail`,
 * which makes the server's ParseError (answered 400/431) or the client's ProtocolError.
 *
 * It lives beside the server's files because the module template copies this folder flat into a
 * new module's kit/ (../sync-template.ts); the client imports it from here.
 */

/** Makes the caller's error: `status` is what a server would answer (400, 431), `message` why. */
export type Fail = (status: number, message: string) => Error;

export const CRLF = Buffer.from('\r\n');
export const HEAD_END = Buffer.from('\r\n\r\n');
// Bytes a head (or a trailer line) may hold: HTAB, printable ASCII and obs-text, CR only before LF
// and LF only after CR; NUL, other controls, DEL, a bare CR or LF are refused (one scan of the head).
export const BAD_HEAD_BYTE = /[^\t\r\n\x20-\x7e\x80-\xff]|\r(?!\n)|(?<!\r)\n/;
export const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const DIGITS = /^[0-9]{1,15}$/;
// 1–8 hex digits, leading zeros counted (at most 4 GiB: no overflow, and no size a peer could read
// differently), optional whitespace and extensions without control bytes.
const CHUNK_SIZE = /^([0-9A-Fa-f]{1,8})[ \t]*(?:;[\t\x20-\x7e\x80-\xff]*)?$/;
/** Longest chunk-size line (size and extensions): no peer of ours sends extensions this long. */
const MAX_CHUNK_LINE = 1024;

const isOws = (c: number) => c === 0x20 || c === 0x09;

/** Header names seen, as sent → lower case (checked as tokens once): peers send the same few. */
const names = new Map<string, string>();

function fieldName(raw: string, fail: Fail): string {
  const known = names.get(raw);
  if (known !== undefined) return known;
  if (!TOKEN.test(raw)) throw fail(400, 'a malformed header field');
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

/**
 * Where the head in `buf` ends (the index of its blank line's CRLF CRLF), or -1 while it is
 * incomplete; throws (431) once it cannot fit in `maxBytes`, blank line included.
 */
export function headEnd(buf: Buffer, maxBytes: number, what: string, fail: Fail): number {
  const end = buf.indexOf(HEAD_END);
  if (end < 0 ? buf.length > maxBytes : end + 4 > maxBytes) throw fail(431, `the ${what} head is too large`);
  return end;
}

/** The lines of a head (latin1 text up to, not including, its blank line), its bytes checked. */
export function headLines(text: string, fail: Fail): string[] {
  if (BAD_HEAD_BYTE.test(text)) throw fail(400, 'a control byte, bare CR or bare LF in the head');
  return text.split('\r\n');
}

/**
 * The fields of a head (`lines` after the start line), checked. Names are lower-cased; a name in
 * `once` given twice is refused; other repeats are joined with ", ". `nodeStyle`: as node's
 * IncomingMessage has them, set-cookie an array and cookie joined with "; ". The record has no
 * prototype: a field named `__proto__` or `constructor` is a field like any other.
 */
export function parseFields(
  lines: string[],
  maxFields: number,
  once: ReadonlySet<string>,
  nodeStyle: boolean,
  fail: Fail,
): Record<string, string | string[]> {
  if (lines.length - 1 > maxFields) throw fail(431, 'too many header fields');
  // Object.create, not a `{ __proto__: null }` literal: a literal is an allocation site, which V8
  // may switch to old space (see ./request-parser.ts's Head): every later record made there, dead
  // at once, would keep its young strings alive until the next mark-compact (PERF10).
  const fields = Object.create(null) as Record<string, string | string[]>;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    // No colon, whitespace before it, or a folded (obs-fold) line starting with whitespace: not a
    // token, refused, never guessed at.
    const colon = line.indexOf(':');
    const key = fieldName(colon > 0 ? line.slice(0, colon) : '', fail);
    const value = owsTrim(line, colon + 1);
    const had = fields[key];
    if (had === undefined) fields[key] = nodeStyle && key === 'set-cookie' ? [value] : value;
    else if (once.has(key)) throw fail(400, `${key} given twice`);
    else if (Array.isArray(had)) had.push(value);
    else fields[key] = `${had}${nodeStyle && key === 'cookie' ? '; ' : ', '}${value}`;
  }
  return fields;
}

/** Body framing from a head's fields: a length, CHUNKED, or NO_FRAMING (neither field given). */
export const CHUNKED = -1;
export const NO_FRAMING = -2;

/**
 * What Content-Length / Transfer-Encoding say, refusing every shape two parsers could read
 * differently: both given, Content-Length not plain digits (no sign, list or repeat: a repeat is
 * refused as a field given once), a transfer coding other than `chunked` alone, and
 * Transfer-Encoding in HTTP/1.0 (RFC 9112 6.1: faulty framing).
 */
export function bodyFraming(
  te: string | undefined,
  cl: string | undefined,
  http10: boolean,
  fail: Fail,
): number {
  if (te !== undefined) {
    if (cl !== undefined) throw fail(400, 'both Content-Length and Transfer-Encoding');
    if (http10) throw fail(400, 'Transfer-Encoding in HTTP/1.0');
    if (te.toLowerCase() !== 'chunked') throw fail(400, 'a transfer coding other than chunked');
    return CHUNKED;
  }
  if (cl === undefined) return NO_FRAMING;
  if (!DIGITS.test(cl)) throw fail(400, 'a malformed Content-Length');
  return Number(cl);
}

/** Whether `token` is one of the comma-separated values of a header (case-insensitive). */
export function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  for (const t of value.toLowerCase().split(',')) if (t.trim() === token) return true;
  return false;
}

/** HTTP/1.1 keeps the connection unless `Connection: close`; HTTP/1.0 only with `keep-alive`. */
export function keepsAlive(http10: boolean, connection: string | undefined): boolean {
  // `close` wins in every version (RFC 9112 9.3), even beside keep-alive in HTTP/1.0.
  if (hasToken(connection, 'close')) return false;
  return !http10 || hasToken(connection, 'keep-alive');
}

const SIZE = 0;
const DATA = 1;
const DATA_END = 2;
const TRAILERS = 3;
const DONE = 4;

/**
 * A chunked body, read a step at a time: `step(buf)` reads one chunk-size line, one piece of chunk
 * data, the CRLF after the data, or one trailer line from the front of `buf`, and returns how many
 * bytes it used (0: more bytes are needed). Data it read is in `data` until the next step; `done`
 * once the blank line after the trailers is read. Trailers are checked like header fields (and
 * bounded together by `maxHeaderBytes`), then dropped: nothing here reads them.
 */
export class ChunkedBody {
  data: Buffer | undefined;
  private state = SIZE;
  private left = 0;
  private trailerBytes = 0;
  private readonly maxHeaderBytes: number;
  private readonly fail: Fail;

  constructor(maxHeaderBytes: number, fail: Fail) {
    this.maxHeaderBytes = maxHeaderBytes;
    this.fail = fail;
  }

  get done(): boolean {
    return this.state === DONE;
  }

  /** Ready for the next message's body. */
  reset(): void {
    this.state = SIZE;
    this.left = 0;
    this.trailerBytes = 0;
    this.data = undefined;
  }

  step(buf: Buffer): number {
    this.data = undefined;
    if (this.state === DATA) {
      const n = Math.min(this.left, buf.length);
      this.left -= n;
      this.data = n === buf.length ? buf : buf.subarray(0, n);
      if (this.left === 0) this.state = DATA_END;
      return n;
    }
    if (this.state === DATA_END) {
      if (buf.length < 2) return 0;
      if (buf[0] !== 0x0d || buf[1] !== 0x0a) throw this.fail(400, 'chunk data longer than its size');
      this.state = SIZE;
      return 2;
    }
    if (this.state === DONE) return 0;
    const eol = buf.indexOf(CRLF);
    if (this.state === SIZE) {
      // The longest allowed line may wait for its LF with its CR already in: +1 before the CRLF is
      // whole, so a line of MAX_CHUNK_LINE bytes reads the same however its bytes are cut.
      if (eol < 0 ? buf.length > MAX_CHUNK_LINE + 1 : eol > MAX_CHUNK_LINE)
        throw this.fail(400, 'a chunk-size line too long');
      if (eol < 0) return 0;
      const m = CHUNK_SIZE.exec(buf.toString('latin1', 0, eol));
      if (!m) throw this.fail(400, 'a malformed chunk size');
      const size = Number.parseInt(m[1]!, 16);
      if (size === 0) this.state = TRAILERS;
      else {
        this.state = DATA;
        this.left = size;
      }
      return eol + 2;
    }
    // Trailers: every line counts against the head limit, the blank line ends the body.
    if ((eol < 0 ? buf.length : eol + 2) + this.trailerBytes > this.maxHeaderBytes)
      throw this.fail(400, 'trailer fields too large');
    if (eol < 0) return 0;
    if (eol === 0) {
      this.state = DONE;
      return 2;
    }
    this.trailerBytes += eol + 2;
    const line = buf.toString('latin1', 0, eol);
    const colon = line.indexOf(':');
    if (colon <= 0 || !TOKEN.test(line.slice(0, colon)) || BAD_HEAD_BYTE.test(line))
      throw this.fail(400, 'a malformed trailer field');
    return eol + 2;
  }
}
