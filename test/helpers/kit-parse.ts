import { connect } from 'node:net';
import { ProtocolError, ResponseParser } from '../../modules/kit/client/response-parser.js';
import { ParseError, RequestParser } from '../../modules/kit/server/request-parser.js';

/**
 * The kit's two HTTP/1.1 parsers fed by hand, for the framing tests (test/kit/framing.test.ts) and
 * the reviewer's attack tables (test/security/client-framing-attacks.test.ts): bytes are latin1
 * strings, one char one byte.
 */

export const KIT_LIMITS = { maxHeaderBytes: 16 * 1024, maxHeaders: 100, maxBodyBytes: 1024 * 1024 };
type Limits = typeof KIT_LIMITS;

/** `bytes` whole, or one byte a piece. */
export function pieces(bytes: string, count: number): Buffer[] {
  const b = Buffer.from(bytes, 'latin1');
  if (count === 1) return [b];
  return Array.from({ length: b.length }, (_, i) => b.subarray(i, i + 1));
}

/** What the server's parser made of `bytes`: the body it read and the requests ended, or its error. */
export function parseAsServer(
  bytes: string,
  { count = 1, limits = KIT_LIMITS }: { count?: number; limits?: Limits } = {},
): { body: string; ended: number; error?: ParseError } {
  let body = '';
  let ended = 0;
  const p = new RequestParser(limits, {
    head: () => undefined,
    body: (c) => {
      body += c.toString('latin1');
    },
    end: () => {
      ended++;
      return true;
    },
  });
  try {
    for (const part of pieces(bytes, count)) p.feed(part);
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    return { body, ended, error: err };
  }
  return { body, ended };
}

/** What the client's parser made of `bytes` as the answer to `method`: the answers it completed, or its error. */
export function parseAsClient(
  bytes: string,
  {
    count = 1,
    method = 'GET',
    limits = KIT_LIMITS,
  }: { count?: number; method?: string; limits?: Limits } = {},
): { answers: { body: string; headers: Record<string, string> }[]; error?: ProtocolError } {
  const p = new ResponseParser(limits);
  p.expect(method);
  const answers: { body: string; headers: Record<string, string> }[] = [];
  try {
    for (const part of pieces(bytes, count)) {
      const r = p.push(part);
      if (r) answers.push({ body: r.body.toString('latin1'), headers: r.headers });
    }
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    return { answers, error: err };
  }
  return { answers };
}

/** Everything a unix-socket server sends a client that says nothing, until it closes. */
export function readUntilClose(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const c = connect(path);
    c.on('data', (d) => {
      got += d;
    });
    c.on('error', reject);
    c.on('close', () => resolve(got));
  });
}
