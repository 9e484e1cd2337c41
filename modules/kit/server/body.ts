/**
 * Request bodies: charged to a shared budget as they arrive (./wire.ts) so that many concurrent
 * uploads cannot exhaust memory, and decoded as strict UTF-8.
 */
import { HttpError } from './errors.js';

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
