/**
 * A request's time limit: Qdrant's `timeout` query parameter (whole seconds over 0), capped by the
 * module's VECTORS_MAX_TIMEOUT_S, which is also the limit when none is given. The loops that read
 * one item after another on the event loop (a filter over payloads, the unions of indexed values,
 * exact scoring, maximal marginal relevance, a batch's searches) look at it every 1,024 items
 * (EVERY); past it the request ends with Qdrant's answer to a timeout, 408 and
 * {"status": {"error": "Timeout error: ..."}}. Before, a costly filter on a large collection held
 * the event loop (and /health) as long as it ran. Cooperative: it cuts only where it is checked
 * (hnswlib's graph walk, native, runs to its end), and it bounds how long one request holds the
 * loop, not how often a client may ask.
 */
import { HttpError } from '../../kit/server/index.js';

/** Items between two looks at the clock (a mask: a power of two minus 1). */
export const EVERY = 1023;

export class Deadline {
  private readonly at: number;
  constructor(
    readonly seconds: number,
    readonly operation: string,
  ) {
    this.at = performance.now() + seconds * 1000;
  }

  /** Throws Qdrant's timeout error once the deadline has passed. */
  check(): void {
    if (performance.now() > this.at)
      throw new HttpError(
        408,
        `Timeout error: Operation '${this.operation}' timed out after ${this.seconds} seconds`,
      );
  }
}

/** Default of VECTORS_MAX_TIMEOUT_S. */
export const DEFAULT_MAX_TIMEOUT_S = 10;

/**
 * The deadline of a request from its URL's `timeout` (Qdrant's ReadParams: a NonZeroU64 of
 * seconds; anything else is a 400 there too), at most `capS` seconds from now.
 */
export function requestDeadline(url: string, operation: string, capS: number): Deadline {
  const q = url.indexOf('?');
  let seconds = capS;
  if (q >= 0) {
    const raw = new URLSearchParams(url.slice(q + 1)).get('timeout');
    if (raw !== null) {
      if (!/^[1-9][0-9]{0,15}$/.test(raw))
        throw new HttpError(
          400,
          `Wrong input: the timeout must be a whole number of seconds over 0, not ${JSON.stringify(raw.slice(0, 32))}`,
        );
      seconds = Math.min(Number(raw), capS);
    }
  }
  return new Deadline(seconds, operation);
}
