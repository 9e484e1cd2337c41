import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type ParsedResponse,
  ProtocolError,
  ResponseParser,
} from '../../modules/kit/client/response-parser.js';
import { answerParser, MAX_ANSWER_BYTES } from '../../src/core/services/engine-wire.js';
import { fuzzParams, summary, tally } from './support/budget.js';
import {
  type AnswerSpec,
  type AnswerView,
  answerArb,
  build,
  byName,
  hasToken,
  L1,
  type Limits,
  limits,
  refusal,
} from './support/response-arbs.js';
import { anyInput, cutsArb, type Input, limitsArb, ROOMY, seeds } from './support/response-inputs.js';

/**
 * Target: the kit client's HTTP/1.1 response parser (modules/kit/client/response-parser.ts, on
 * modules/kit/server/framing.ts), used by modules' clients and, through `answerParser`
 * (src/core/services/engine-wire.ts), by blueprint's engine calls. An input is the bytes one
 * request's connection carries, fed as a socket hands them over: all at once, one byte a piece, or
 * cut at random points. An exchange runs as unix-http.ts and engine-wire.ts run it: push until an
 * answer comes, then stop; else `end()` at the close. Inputs: answers generated field by field
 * (1xx, Content-Length, chunked with extensions and trailers, until close, HEAD/204/304, bodies
 * that hold whole answers), byte edits of those and of recorded engine answers (corpus/response:
 * a file named head-* answers a HEAD), HTTP token soup, random bytes.
 */
/** engine-wire's: its MAX_HEAD_BYTES and MAX_ANSWER_BYTES, no 1xx. */
const ENGINE = limits(64 * 1024, MAX_ANSWER_BYTES, false);
/** The longest chunk-size line framing.ts takes (its MAX_CHUNK_LINE, not exported). */
const MAX_CHUNK_LINE = 1024;
const BAD_VALUE = /[\0-\x08\n-\x1f\x7f]/;
const LOWER_TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/** How one exchange ended: `end` is the byte count pushed when it did (none: at `end()`), `from` where that piece began. */
type Outcome =
  | { kind: 'answer'; r: ParsedResponse; from: number; end?: number; headAt?: number }
  | { kind: 'refused'; message: string; from: number; end?: number }
  | { kind: 'nothing' };
type Cuts = 'whole' | 'bytes' | number[];

/** Piece ends for `n` bytes. */
function pieces(n: number, how: Cuts): number[] {
  if (how === 'whole') return n ? [n] : [];
  if (how === 'bytes') return Array.from({ length: n }, (_, i) => i + 1);
  return [...new Set([...how.map((c) => c % (n + 1)), n])].filter((c) => c > 0).sort((a, b) => a - b);
}

/** Bytes the parser holds between pushes: unread buffer and body kept so far (its private fields). */
function held(p: ResponseParser): number {
  const { buf, bodyBytes } = p as unknown as { buf?: Buffer; bodyBytes?: number };
  if (!Buffer.isBuffer(buf) || typeof bodyBytes !== 'number')
    throw new Error(
      'ResponseParser has no buf/bodyBytes any more: update held() in test/fuzz/response.fuzz.ts',
    );
  return buf.length + bodyBytes;
}

/** One request's exchange over `bytes` cut at `cuts`; `then`: methods of requests asked next on a kept connection. */
function exchange(bytes: Buffer, cuts: Cuts, method: string, l: Limits, then: string[] = []): Outcome[] {
  const p = new ResponseParser(l);
  p.expect(method);
  const out: Outcome[] = [];
  let from = 0;
  let end: number | undefined;
  let headAt: number | undefined;
  // A chunk-size line of the most bytes may wait for its LF with its CR in (+1).
  const bound = Math.max(l.maxHeaderBytes, MAX_CHUNK_LINE + 1) + l.maxBodyBytes;
  try {
    for (end of pieces(bytes.length, cuts)) {
      const r = p.push(bytes.subarray(from, end));
      headAt ??= p.headRead || r ? end : undefined;
      if (r) {
        out.push({ kind: 'answer', r, from, end, headAt });
        // The client reuses the connection only for a kept answer; the next request is asked at once.
        const next = then[out.length - 1];
        if (!r.keepAlive || next === undefined) return out;
        p.expect(next);
        headAt = undefined;
      } else if (held(p) > bound) throw new Error(`the parser holds ${held(p)} bytes, over ${bound}`);
      from = end;
    }
    end = undefined;
    const r = p.end();
    if (r) out.push({ kind: 'answer', r, from, headAt });
    else if (!out.length) out.push({ kind: 'nothing' });
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    expect(err.code).toBe('EPROTO');
    out.push({ kind: 'refused', message: err.message, from, end });
  }
  return out;
}

/** What an outcome says, for comparing runs (headers sorted: names like "1" come first in a record). */
const view = (o: Outcome): AnswerView | { refused: string; atClose: boolean } | { kind: 'nothing' } =>
  o.kind === 'answer'
    ? {
        status: o.r.status,
        headers: Object.entries(o.r.headers).sort(byName),
        body: o.r.body.toString('latin1'),
        atClose: o.end === undefined,
      }
    : o.kind === 'refused'
      ? { refused: o.message, atClose: o.end === undefined }
      : o;

const SIZE_LINE = /^([0-9a-f]{1,8})[ \t]*(?:;[\t\x20-\x7e\x80-\xff]*)?$/i;
const TRAILER = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+:[\t\x20-\x7e\x80-\xff]*$/;

/** A de-chunker written apart from framing.ts, from RFC 9112 7.1 and its header: data and end of a chunked body. */
function dechunk(b: Buffer): { body: Buffer; end: number } | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  const line = () => {
    const eol = b.indexOf('\r\n', at);
    const s = eol < 0 ? undefined : b.toString('latin1', at, eol);
    at = eol + 2;
    return s;
  };
  for (let s = line(); ; s = line()) {
    const m = s === undefined || s.length > MAX_CHUNK_LINE ? null : SIZE_LINE.exec(s);
    if (!m) return undefined;
    const size = Number.parseInt(m[1]!, 16);
    if (size === 0) break;
    if (b.toString('latin1', at + size, at + size + 2) !== '\r\n') return undefined;
    parts.push(b.subarray(at, at + size));
    at += size + 2;
  }
  for (let s = line(); s !== undefined; s = line())
    if (s === '') return { body: Buffer.concat(parts), end: at };
    else if (!TRAILER.test(s)) return undefined;
  return undefined;
}

/**
 * Properties 1 and 4. Any bytes: the three ways of cutting them end alike (the same answer, or the
 * same refusal, in the piece holding the same byte: where an answer ends never depends on the
 * cuts, so no cut can make part of one answer read as another); a kept connection only when the
 * answer ended at a piece's end; and the answer is self-consistent: framing and body agree with
 * the bytes it came from (re-read here by its own de-chunker), the bounds hold.
 */
function checkAny(bytes: Buffer, method: string, l: Limits, cuts: number[]): void {
  const [one] = exchange(bytes, 'bytes', method, l) as [Outcome];
  for (const [how, [o]] of [
    ['whole', exchange(bytes, 'whole', method, l)],
    ['cuts', exchange(bytes, cuts, method, l)],
  ] as const) {
    expect(view(o!), how).toEqual(view(one));
    if (o!.kind === 'nothing' || one.kind === 'nothing' || one.end === undefined) continue;
    expect(
      o!.from < one.end && one.end <= o!.end!,
      `${how}: ended in the piece holding byte ${one.end}`,
    ).toBe(true);
    if (o!.kind === 'answer' && one.kind === 'answer')
      expect(o!.r.keepAlive, `${how}: kept`).toBe(one.r.keepAlive && o!.end === one.end);
  }
  tally(
    one.kind === 'answer'
      ? `answer ${one.end === undefined ? 'at close' : 'pushed'}`
      : one.kind === 'refused'
        ? `refused: ${one.message.replace(/[\d"].*$/, '').trim()}`
        : 'nothing',
  );
  if (one.kind !== 'answer') return;
  const { r, headAt: h = -1 } = one;
  expect(r.status >= 200 && r.status <= 599, `status ${r.status}`).toBe(true);
  for (const [k, v] of Object.entries(r.headers))
    expect(LOWER_TOKEN.test(k) && !BAD_VALUE.test(v), `${k}: ${v}`).toBe(true);
  expect(r.body.length).toBeLessThanOrEqual(l.maxBodyBytes);
  // `close` ends the connection whatever else Connection says (RFC 9112 9.3).
  if (hasToken(r.headers.connection, 'close')) expect(r.keepAlive).toBe(false);
  const [cl, te] = [r.headers['content-length'], r.headers['transfer-encoding']];
  expect(cl === undefined || te === undefined, 'Content-Length beside Transfer-Encoding').toBe(true);
  if (cl !== undefined) expect(cl).toMatch(/^[0-9]{1,15}$/);
  let want: { body: Buffer; end?: number };
  if (method === 'HEAD' || r.status === 204 || r.status === 304) want = { body: Buffer.alloc(0), end: h };
  else if (cl !== undefined) want = { body: bytes.subarray(h, h + Number(cl)), end: h + Number(cl) };
  else if (te !== undefined) {
    expect(te.toLowerCase()).toBe('chunked');
    const d = dechunk(bytes.subarray(h));
    expect(d, 'a chunked body the reference de-chunker can read').toBeDefined();
    want = { body: d!.body, end: h + d!.end };
  } else {
    want = { body: bytes.subarray(h) };
    expect(r.keepAlive).toBe(false);
  }
  expect({ body: r.body.toString('latin1'), end: one.end }).toEqual({
    body: want.body.toString('latin1'),
    end: want.end,
  });
}

// ---- Property 2 and 3: a generated answer, whatever the cuts; a second one only when asked for ----

function checkGenerated(s: AnswerSpec, next: AnswerSpec, l: Limits, cuts: number[]): void {
  const a = build(s);
  const want = refusal(a, l);
  tally(
    `generated: ${want ? 'refused (bound)' : a.view.atClose ? 'read to close' : a.bodyless ? 'bodyless' : 'read'}`,
  );
  for (const how of ['whole', 'bytes', cuts] as const) {
    const out = exchange(a.bytes, how, a.method, l);
    expect(out.length).toBe(1);
    const o = out[0]!;
    if (want) {
      expect(o.kind, String(how)).toBe('refused');
      expect(o.kind === 'refused' && o.message).toMatch(want);
      continue;
    }
    expect(view(o), String(how)).toEqual(a.view);
    if (o.kind !== 'answer') continue;
    expect(o.r.keepAlive, `${how}: kept`).toBe(a.keepAlive);
    expect(o.end, `${how}: ended at the last byte`).toBe(a.view.atClose ? undefined : a.bytes.length);
  }
  // Two answers on one kept connection: the second is read only when the first ended at a piece's
  // end (the next request was asked on a reused connection); else bytes after an answer drop it.
  const b = build(next);
  if (want || !a.keepAlive || refusal(b, l)) return;
  const both = Buffer.concat([a.bytes, b.bytes]);
  for (const how of ['whole', 'bytes', cuts] as const) {
    const out = exchange(both, how, a.method, l, [b.method]);
    expect(view(out[0]!)).toEqual(a.view);
    const split = pieces(both.length, how).includes(a.bytes.length);
    expect(out.length, `${how}: answers`).toBe(split ? 2 : 1);
    const [first, second] = out as [Outcome & { kind: 'answer' }, Outcome | undefined];
    expect(first.r.keepAlive).toBe(split);
    if (second) expect(view(second)).toEqual(b.view);
  }
}

// ---- engine-wire's answerParser: the parser's verdict, in engine-wire's error codes only ----

function checkWire(input: Input, cuts: number[]): void {
  const { bytes, method: m } = input;
  const a = answerParser(m);
  let got: unknown;
  let from = 0;
  try {
    for (const end of pieces(bytes.length, cuts)) {
      const r = a.push(bytes.subarray(from, end));
      from = end;
      if (r) got = { answer: r };
      if (r) break;
    }
  } catch (err) {
    expect(err instanceof Error && (err as { code?: string }).code, String(err)).toBe('EPROTO');
    got = { refused: (err as Error).message };
  }
  if (got === undefined)
    try {
      got = { answer: a.end() };
    } catch (err) {
      expect(err instanceof Error && (err as { code?: string }).code, String(err)).toBe('ECONNRESET');
      got = { closed: true };
    }
  const [o] = exchange(bytes, cuts, m, ENGINE) as [Outcome];
  const want =
    o.kind === 'answer'
      ? { answer: { status: o.r.status, body: o.r.body.toString('utf8') } }
      : o.kind === 'refused' && o.end !== undefined
        ? { refused: `the engine's answer is not HTTP/1.1 (${o.message})` }
        : { closed: true };
  expect(got).toEqual(want);
}

describe('fuzz: the kit client response parser and engine-wire answerParser', () => {
  afterAll(() => console.log(summary('response')));

  it('1, 4: any bytes, any cuts: ProtocolError only, bounds held, one reading whatever the cuts', () => {
    const examples = seeds.map((s): [Input, Limits, number[]] => [s, ROOMY, []]);
    fc.assert(
      fc.property(anyInput, limitsArb, cutsArb, (i, l, c) => checkAny(i.bytes, i.method, l, c)),
      fuzzParams(examples, 0.33),
    );
  });

  it('2, 3: a generated answer reads as generated whatever the cuts, or is refused for the bound it breaks', () => {
    fc.assert(
      fc.property(answerArb, answerArb, limitsArb, cutsArb, checkGenerated),
      fuzzParams<[AnswerSpec, AnswerSpec, Limits, number[]]>([], 0.3),
    );
  });

  it("engine-wire answerParser: the parser's verdict, as EPROTO (push) or ECONNRESET (end) only", () => {
    const examples = seeds.map((s): [Input, number[]] => [s, []]);
    fc.assert(fc.property(anyInput, cutsArb, checkWire), fuzzParams(examples, 0.25));
  });

  // Found by this target (seed 20261129): keepsAlive(http10, connection) checked only for
  // keep-alive in HTTP/1.0, so `Connection: keep-alive, close` kept the connection; RFC 9112 9.3
  // puts close first, in every version.
  it('Connection: close ends the connection in HTTP/1.0 too, beside keep-alive', () => {
    const spelling = fc.constantFrom('close', 'Close', 'CLOSE', 'keep-alive', 'Keep-Alive', 'x');
    const tokens = fc.array(spelling, { minLength: 1, maxLength: 4 });
    const conn = fc
      .tuple(tokens, fc.boolean())
      .map(([t, two]) => (two ? [t.join(', '), 'close'] : [`${t},close`]));
    fc.assert(
      fc.property(fc.boolean(), conn, (v10, values) => {
        const fields = values.map((v) => `Connection: ${v}\r\n`).join('');
        const bytes = L1(`HTTP/1.${v10 ? 0 : 1} 200 OK\r\n${fields}Content-Length: 2\r\n\r\nok`);
        const [o] = exchange(bytes, 'whole', 'GET', ROOMY);
        expect(o?.kind === 'answer' && o.r.keepAlive).toBe(false);
      }),
      fuzzParams<[boolean, string[]]>([], 0.05),
    );
  });

  // Found by this target (seed 20261129, path "26:4"): ChunkedBody.step checked a chunk-size line
  // against MAX_CHUNK_LINE as `buf.length > 1024` while its CRLF had not all come and as
  // `eol > 1024` once it had, so a line of exactly 1024 bytes was read when whole and refused when
  // the pieces ended between its CR and LF.
  it('a chunk-size line of 1024 bytes: the same reading whatever the cuts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1016, max: 1032 }), cutsArb, (len, cuts) => {
        const line = `2;${'e'.repeat(len - 2)}`;
        const bytes = L1(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${line}\r\nok\r\n0\r\n\r\n`);
        checkAny(bytes, 'GET', ROOMY, cuts);
      }),
      fuzzParams<[number, number[]]>([], 0.07),
    );
  });
});
