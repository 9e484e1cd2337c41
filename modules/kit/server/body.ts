/**
 * Request bodies: refused with 413 before reading when Content-Length is over the limit, counted
 * while streaming (chunked uploads), charged to a shared budget so that many concurrent uploads
 * cannot exhaust memory, and decoded as strict UTF-8.
 */
import type { IncomingMessage } from 'node:http';
import { busy, ClientGoneError, HttpError } from './errors.js';

/** Bytes of request bodies held in memory at once, across all requests. */
export class ByteBudget {
  used = 0;
  readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  take(n: number): boolean {
    if (this.used + n > this.max) return false;
    this.used += n;
    return true;
  }
  give(n: number): void {
    this.used -= n;
  }
}

/**
 * Reads the whole body. `charge` records what was taken from the budget; the caller gives it back
 * when the response is over (the parsed body lives until then).
 */
export function readBody(
  req: IncomingMessage,
  maxBytes: number,
  budget: ByteBudget,
  charge: { bytes: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBytes) return reject(new HttpError(413, `request body over ${maxBytes} bytes`));
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      chunks.length = 0;
      // Stop reading: the error answer goes out with `connection: close`, which ends the upload.
      req.pause();
      reject(err);
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > maxBytes) return fail(new HttpError(413, `request body over ${maxBytes} bytes`));
      if (!budget.take(chunk.length))
        return fail(busy('busy: too many request bodies are being received; retry shortly'));
      charge.bytes += chunk.length;
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.on('error', () => fail(new ClientGoneError()));
    req.on('close', () => {
      if (!req.complete) fail(new ClientGoneError());
    });
  });
}

// fatal: invalid UTF-8 is refused, not replaced with U+FFFD (as text-embeddings-inference does).
// ignoreBOM false: one leading byte order mark is skipped (RFC 8259 lets parsers ignore it).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Strict UTF-8, then JSON; 400 for either failure. */
export function parseJson(body: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new HttpError(400, 'the request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `the request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** True when a string holds an unpaired UTF-16 surrogate (a JSON escape such as "\ud800"). */
export const hasLoneSurrogate = (s: string) => /\p{Cs}/u.test(s);
