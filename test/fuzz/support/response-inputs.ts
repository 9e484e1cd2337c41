/**
 * Inputs for test/fuzz/response.fuzz.ts that need not be answers: byte edits of generated answers
 * and of the recorded engine answers (corpus/response), HTTP token soup, random bytes; the parser
 * limits and the cuts a socket hands bytes over at.
 */
import fc from 'fast-check';
import { corpus } from './budget.js';
import { hostileText } from './mutate.js';
import { answerArb, build, EMBEDDED, L1, type Limits, limits } from './response-arbs.js';

/** Limits with room: a 16 KiB head, a 1 MiB body, 1xx answers allowed. */
export const ROOMY = limits(16 * 1024, 1024 * 1024, true);

const BITS = '\r\n|\r\n\r\n|\n|\r| |\t|:|,|;|0|9|f|00|0\r\n\r\n|\x80'.split('|');
const LINES = [
  'Content-Length: 5\r\n|Content-Length: 0\r\n|Transfer-Encoding: chunked\r\n|Transfer-Encoding: gzip, chunked\r\n',
  'Connection: close\r\n|Connection: keep-alive\r\n|HTTP/1.1 100 Continue\r\n\r\n|HTTP/1.1 200 OK\r\n|HTTP/1.0 ',
  'ffffffff\r\n|x-t: 1\r\n| folded\r\n|\tx: 1\r\n',
]
  .join('|')
  .split('|');
const SOUP = [
  ...BITS,
  ...LINES,
  ...'HTTP/1.1 |200| OK|304|204|101|099|a|Content-Length: |chunked'.split('|'),
];
export interface Input {
  bytes: Buffer;
  method: string;
}
export const seeds: Input[] = corpus('response').map(([f, bytes]) => ({
  bytes,
  method: f.startsWith('head-') ? 'HEAD' : f.startsWith('post-') ? 'POST' : 'GET',
}));
const generated = answerArb.map((s): Input => build(s));
const editArb = fc.record({
  op: fc.constantFrom('insert', 'insert', 'cut', 'dup', 'byte', 'digit', 'case'),
  at: fc.nat(),
  len: fc.integer({ min: 1, max: 8 }),
  text: fc.oneof(hostileText, fc.constantFrom(...BITS, ...LINES)),
  byte: fc.nat({ max: 255 }),
  /** Anywhere (0), or at a byte framing hangs on (CR, LF, ':', ';', a digit, a line's first): anywhere (1), past the first head (2). */
  frame: fc.constantFrom(0, 1, 2, 2),
});
type Edit = typeof editArb extends fc.Arbitrary<infer T> ? T : never;

const swapCase = (t: string) =>
  t.replace(/[a-z]/gi, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));
const EDITS: Record<Edit['op'], (rest: Buffer, e: Edit) => Buffer[]> = {
  insert: (r, e) => [L1(e.text), r],
  cut: (r, e) => [r.subarray(e.len)],
  dup: (r, e) => [r.subarray(0, e.len), r],
  byte: (r, e) => [Buffer.from([e.byte]), r.subarray(1)],
  digit: (r, e) => [L1(String(e.byte % 10)), r.subarray(/^[0-9]/.test(r.toString('latin1', 0, 1)) ? 1 : 0)],
  case: (r, e) => [L1(swapCase(r.toString('latin1', 0, e.len))), r.subarray(e.len)],
};

function edited(b: Buffer, edits: Edit[]): Buffer {
  for (const e of edits) {
    const past = e.frame === 2 ? b.indexOf('\r\n\r\n') + 4 : 0;
    const spots = e.frame
      ? [...b.keys()].filter(
          (i) => i >= past && (/[\r\n:;0-9]/.test(String.fromCharCode(b[i]!)) || b[i - 1] === 0x0a),
        )
      : [];
    const at = spots.length ? spots[e.at % spots.length]! : e.at % (b.length + 1);
    b = Buffer.concat([b.subarray(0, at), ...EDITS[e.op](b.subarray(at), e)]);
  }
  return b;
}

const method = fc.constantFrom('GET', 'HEAD', 'POST');
const soup = fc.array(fc.constantFrom(...SOUP), { maxLength: 40 }).map((p) => L1(p.join('')));
const noise = fc.oneof(
  soup,
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
);
const editedInput = fc
  .tuple(
    seeds.length ? fc.oneof(generated, fc.constantFrom(...seeds)) : generated,
    fc.array(editArb, { minLength: 1, maxLength: 4 }),
    fc.option(fc.constantFrom(...EMBEDDED)),
  )
  .map(([s, e, tail]) => ({ bytes: Buffer.concat([edited(s.bytes, e), L1(tail ?? '')]), method: s.method }));
export const anyInput: fc.Arbitrary<Input> = fc.oneof(
  { weight: 4, arbitrary: editedInput },
  { weight: 1, arbitrary: generated },
  { weight: 2, arbitrary: fc.tuple(noise, method).map(([bytes, m]) => ({ bytes, method: m })) },
);
export const limitsArb: fc.Arbitrary<Limits> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(ROOMY) },
  {
    weight: 2,
    arbitrary: fc.record({
      maxHeaderBytes: fc.integer({ min: 2, max: 700 }),
      maxBodyBytes: fc.integer({ min: 0, max: 400 }),
      maxHeaders: fc.integer({ min: 0, max: 8 }),
      interim: fc.boolean(),
    }),
  },
);
export const cutsArb = fc.array(fc.nat(), { maxLength: 12 });
