import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';

export const FIXTURE_MODELS = resolve(import.meta.dirname, '../fixtures/models');

export interface Reference {
  model: string;
  dimension: number;
  max_tokens: number;
  cases: { text: string; input_ids: number[]; embedding: number[] }[];
}

/** The tiny BERT fixture's reference (torch's token ids and vectors for its cases). */
export const tinyBertReference = (): Reference =>
  JSON.parse(readFileSync(join(FIXTURE_MODELS, 'tiny-bert.reference.json'), 'utf8')) as Reference;

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/**
 * A real HTTP/1.1 request over a unix socket (what a client on the box does). `sent`: called once
 * the request is written whole (a body larger than the socket's buffer: the service is reading it).
 */
export function call(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  sent?: () => void,
): Promise<Reply> {
  return new Promise((done, fail) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request(
      {
        socketPath,
        method,
        path,
        headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {}
          done({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('error', fail);
    req.end(payload, sent);
  });
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}
