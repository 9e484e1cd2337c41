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
import { ClientGoneError, HttpError } from '../../kit/server/index.js';

/** Items between two looks at the clock (a mask: a power of two minus 1). */
export const EVERY = 1023;

/** How long a request's scans run in one turn of the event loop before they let it turn. */
export const SLICE_MS = 20;

/** Qdrant's 408 ('Timeout error: ...'), with the seconds the request had run (Qdrant's `time`). */
export class TimeoutError extends HttpError {
  constructor(
    message: string,
    readonly time: number,
  ) {
    super(408, message);
  }
}

export class Deadline {
  private readonly at: number;
  private readonly started: number;
  private sliceEnd: number;
  constructor(
    readonly seconds: number,
    readonly operation: string,
    /** True once the client has left (its work then stops at the next pause). */
    private readonly gone: () => boolean = () => false,
  ) {
    const now = performance.now();
    this.started = now;
    this.at = now + seconds * 1000;
    this.sliceEnd = now + SLICE_MS;
  }

  /** Throws Qdrant's timeout error once the deadline has passed. */
  check(): void {
    if (performance.now() > this.at) throw this.expired();
  }

  /** True once this turn's slice is spent (then pause()); throws past the deadline. */
  spent(): boolean {
    const now = performance.now();
    if (now > this.at) throw this.expired();
    return now > this.sliceEnd;
  }

  /** Pauses so far (a batch waits for a search that paused before it starts the next). */
  pauses = 0;

  /** Lets the event loop turn (other requests, /health), then a new slice begins. */
  async pause(): Promise<void> {
    this.pauses++;
    await new Promise((r) => setImmediate(r));
    if (this.gone()) throw new ClientGoneError();
    this.check();
    this.sliceEnd = performance.now() + SLICE_MS;
  }

  private expired(): HttpError {
    return new TimeoutError(
      `Timeout error: Operation '${this.operation}' timed out after ${this.seconds} seconds`,
      (performance.now() - this.started) / 1000,
    );
  }
}

/**
 * `each(from, to)` over [0, count) in runs of EVERY + 1 items: in the calling turn while the
 * request's slice lasts (so a short scan answers at once, as before), then a slice per turn of the
 * event loop, `first` called once before the first pause. Undefined when done at once.
 */
export function inRuns(
  count: number,
  each: (from: number, to: number) => void,
  dl: Deadline | undefined,
  first?: () => void,
): Promise<void> | undefined {
  let from = 0;
  const run = (): boolean => {
    while (from < count) {
      const to = Math.min(count, from + EVERY + 1);
      each(from, to);
      from = to;
      if (dl && from < count && dl.spent()) return false;
    }
    return true;
  };
  if (run()) return undefined;
  first?.();
  return (async () => {
    do await dl!.pause();
    while (!run());
  })();
}

/** Default of VECTORS_MAX_TIMEOUT_S. */
export const DEFAULT_MAX_TIMEOUT_S = 10;

/**
 * The deadline of a request from its URL's `timeout` (Qdrant's ReadParams: a NonZeroU64 of
 * seconds; anything else is a 400 there too), at most `capS` seconds from now.
 */
export function requestDeadline(
  url: string,
  operation: string,
  capS: number,
  gone?: () => boolean,
): Deadline {
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
  return new Deadline(seconds, operation, gone);
}
