import fc from 'fast-check';
import type { ResponseParser } from '../../../modules/kit/client/response-parser.js';

/**
 * HTTP/1.1 answers generated field by field for the response target (../response.fuzz.ts), each with
 * what it must parse to (its view, whether the connection is kept) and the refusal it earns under
 * given limits: 1xx heads, Content-Length with leading zeros, chunked with extensions and trailers,
 * until close, HEAD/204/304, HTTP/1.0, bodies that hold whole answers.
 */
export type Limits = Required<ConstructorParameters<typeof ResponseParser>[0]>;
export const limits = (maxHeaderBytes: number, maxBodyBytes: number, interim: boolean): Limits => ({
  maxHeaderBytes,
  maxBodyBytes,
  maxHeaders: 100,
  interim,
});
export const L1 = (s: string) => Buffer.from(s, 'latin1');
export const hasToken = (v: string | undefined, t: string) =>
  (v ?? '').split(',').some((x) => x.trim().toLowerCase() === t);

export interface AnswerView {
  status: number;
  headers: Array<[string, string]>;
  body: string;
  atClose: boolean;
}
export const byName = ([a]: [string, string], [b]: [string, string]) => (a < b ? -1 : a > b ? 1 : 0);

const TOKEN_CHARS = "!#$%&'*+.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-";
const SPECIAL = ['content-length', 'transfer-encoding', 'connection'];
const NAMES =
  'Content-Type Date Server Api-Version Set-Cookie Trailer __proto__ constructor 1 Keep-Alive Upgrade';
const name = fc
  .oneof(
    fc.constantFrom(...NAMES.split(' ')),
    fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 12 }),
  )
  .filter((n) => !SPECIAL.includes(n.toLowerCase()));
const valueChar = fc
  .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.constant(9), fc.integer({ min: 0x80, max: 0xff }))
  .map((c) => String.fromCharCode(c));
const text = (maxLength: number) => fc.string({ unit: valueChar, maxLength });
const ows = fc.constantFrom('', '', ' ', '\t', ' \t ');
const field = fc.tuple(name, text(24), ows, ows);
type Field = [string, string, string, string];
export const EMBEDDED = [
  'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL',
  'HTTP/1.1 204 No Content\r\n\r\n',
  '0\r\n\r\n',
  '\r\n\r\n',
  '5\r\nEVIL!\r\n',
];

export const answerArb = fc.record({
  v10: fc.boolean(),
  interims: fc.array(fc.tuple(fc.constantFrom(100, 102, 103, 199), fc.array(field, { maxLength: 2 })), {
    maxLength: 2,
  }),
  status: fc.oneof(fc.integer({ min: 200, max: 599 }), fc.constantFrom(200, 201, 204, 304, 404, 500)),
  reason: fc.option(text(16)),
  fields: fc.array(field, { maxLength: 6 }),
  connection: fc.constantFrom(
    undefined,
    'close',
    'keep-alive',
    'Keep-Alive, Upgrade',
    'x, CLOSE',
    'keep-alive, close',
  ),
  framing: fc.constantFrom('length' as const, 'chunked' as const, 'close' as const),
  at: fc.nat(),
  zeros: fc.nat({ max: 14 }),
  teCase: fc.constantFrom('chunked', 'Chunked', 'CHUNKED'),
  method: fc.constantFrom('GET', 'GET', 'POST', 'DELETE', 'HEAD'),
  body: fc.oneof(
    {
      weight: 8,
      arbitrary: fc.array(fc.oneof(fc.uint8Array({ maxLength: 160 }), fc.constantFrom(...EMBEDDED).map(L1)), {
        maxLength: 5,
      }),
    },
    { weight: 1, arbitrary: fc.integer({ min: 16_000, max: 40_000 }).map((n) => [Buffer.alloc(n, 'b')]) },
  ),
  chunks: fc.array(
    fc.record({
      at: fc.nat(),
      zeros: fc.nat({ max: 3 }),
      upper: fc.boolean(),
      ext: fc.tuple(ows, fc.option(text(24))),
    }),
    { maxLength: 5 },
  ),
  last: fc.record({ zeros: fc.nat({ max: 2 }), ext: fc.tuple(ows, fc.option(text(24))) }),
  trailers: fc.array(fc.tuple(name, text(16), ows, ows), { maxLength: 3 }),
});
export type AnswerSpec = typeof answerArb extends fc.Arbitrary<infer T> ? T : never;

export interface Built {
  bytes: Buffer;
  method: string;
  /** The final head's bytes, each 1xx head's, their field counts, the trailer section's bytes. */
  heads: Array<{ bytes: number; fields: number; interim: boolean }>;
  trailerBytes: number;
  /** What it must parse to (ROOMY limits). */
  view: AnswerView;
  keepAlive: boolean;
  bodyLength: number;
  bodyless: boolean;
}

const fieldLine = ([n, v, a, b]: Field) => `${n}:${a}${v}${b}\r\n`;
const trim = (v: string) => v.replace(/^[ \t]+|[ \t]+$/g, '');
const ext = ([w, e]: [string, string | null]) => w + (e === null ? '' : `;${e}`);

export function build(s: AnswerSpec): Built {
  const version = s.v10 ? '1.0' : '1.1';
  const framing = s.v10 && s.framing === 'chunked' ? 'length' : s.framing;
  const body = Buffer.concat(s.body);
  const fields: Field[] = [...s.fields];
  const extra: Field[] = [];
  if (framing === 'length')
    extra.push([
      'Content-Length',
      '0'.repeat(Math.min(s.zeros, 15 - String(body.length).length)) + body.length,
      ' ',
      '',
    ]);
  if (framing === 'chunked') extra.push(['Transfer-Encoding', s.teCase, ' ', '\t']);
  if (s.connection) extra.push(['Connection', s.connection, ' ', '']);
  for (const f of extra) fields.splice(s.at % (fields.length + 1), 0, f);
  const heads: Built['heads'] = [];
  let wire = '';
  for (const [code, fs] of s.interims) {
    const h = `HTTP/${version} ${code} Continue\r\n${fs.map(fieldLine).join('')}\r\n`;
    heads.push({ bytes: h.length, fields: fs.length, interim: true });
    wire += h;
  }
  const head = `HTTP/${version} ${s.status}${s.reason === null ? '' : ` ${s.reason}`}\r\n${fields.map(fieldLine).join('')}\r\n`;
  heads.push({ bytes: head.length, fields: fields.length, interim: false });
  const bodyless = s.method === 'HEAD' || s.status === 204 || s.status === 304;
  let payload = Buffer.alloc(0);
  let trailerBytes = 0;
  if (framing === 'chunked') {
    const cuts = [...new Set(s.chunks.map((c) => c.at % (body.length + 1)))]
      .filter((c) => c > 0)
      .sort((a, b) => a - b);
    const parts: Buffer[] = [];
    let from = 0;
    cuts.push(body.length);
    cuts.forEach((to, i) => {
      if (to === from) return;
      const c = s.chunks[i] ?? { ...s.last, upper: false };
      const hex = (to - from).toString(16);
      const size = '0'.repeat(Math.min(c.zeros, 8 - hex.length)) + (c.upper ? hex.toUpperCase() : hex);
      parts.push(L1(`${size}${ext(c.ext)}\r\n`), body.subarray(from, to), L1('\r\n'));
      from = to;
    });
    const trailers = s.trailers.map(fieldLine).join('');
    trailerBytes = trailers.length;
    parts.push(L1(`${'0'.repeat(1 + s.last.zeros)}${ext(s.last.ext)}\r\n${trailers}\r\n`));
    payload = Buffer.concat(parts);
  } else payload = body;
  const headers = new Map<string, string>();
  for (const [n, v] of fields) {
    const k = n.toLowerCase();
    headers.set(k, headers.has(k) ? `${headers.get(k)}, ${trim(v)}` : trim(v));
  }
  const atClose = framing === 'close' && !bodyless;
  // `close` wins in every version (RFC 9112 9.3); HTTP/1.0 keeps only when asked to.
  const kept = !hasToken(s.connection, 'close') && (!s.v10 || hasToken(s.connection, 'keep-alive'));
  // RFC 9110 8.6: a 204 (not to a HEAD) that names a body is not kept; the body may come later.
  const names204Body =
    s.status === 204 &&
    s.method !== 'HEAD' &&
    (framing === 'chunked' || (framing === 'length' && body.length > 0));
  return {
    bytes: Buffer.concat([L1(wire + head), bodyless ? Buffer.alloc(0) : payload]),
    method: s.method,
    heads,
    trailerBytes,
    view: {
      status: s.status,
      headers: [...headers].sort(byName),
      body: bodyless ? '' : body.toString('latin1'),
      atClose,
    },
    keepAlive: kept && !atClose && !names204Body,
    bodyLength: bodyless ? 0 : body.length,
    bodyless,
  };
}

/** The refusal a generated answer earns under `l`, in the parser's order of checks, or undefined. */
export function refusal(b: Built, l: Limits): RegExp | undefined {
  for (const h of b.heads) {
    if (h.bytes > l.maxHeaderBytes) return /^the answer head is too large$/;
    if (h.fields > l.maxHeaders) return /^too many header fields$/;
    if (h.interim && !l.interim) return /^an interim answer \(\d+\) to a request that asked for none$/;
  }
  if (b.bodyless) return undefined;
  if (b.bodyLength > l.maxBodyBytes) return new RegExp(`^the answer is larger than ${l.maxBodyBytes} bytes$`);
  if (b.trailerBytes + 2 > l.maxHeaderBytes && b.view.headers.some(([k]) => k === 'transfer-encoding'))
    return /^trailer fields too large$/;
  return undefined;
}
