/**
 * Request bodies: charged to a shared budget as they arrive (./wire.ts) so that many concurrent
 * uploads cannot exhaust memory, and decoded as strict UTF-8.
 */
import { HttpError } from './errors.js';

/** What the budget needs of a body being charged (./exchange.ts's Exchange). */
export interface Charged {
  /** Who sent it (./clients.ts: "admin", "consumer:NAME"; undefined: anonymous, as in ./queue.ts). */
  readonly client: string | undefined;
  /** Bytes charged to the budget for it. */
  charge: number;
  /** @internal Its client's tally while charged. */
  holder: Holder | undefined;
  /** Still arriving, and not refused: refusing it frees its bytes for good. */
  readonly arriving: boolean;
}

/** One client's bodies charged, in the order they were first charged. */
export interface Holder {
  bytes: number;
  bodies: Set<Charged>;
}

/**
 * Bytes of request bodies held in memory at once, across all requests, charged per client.
 * First come, first served let one client hold it all with a few large bodies sent slowly (each
 * within the request timeout), every other client's body a 503 meanwhile. So, as the fair queue
 * gives up places (./queue.ts): when a body does not fit, a client holding at least twice the
 * bytes the asking client would hold has its newest body still arriving refused (`refuse`: a 503,
 * the connection closed), until the body fits or no such client is left. A client never takes
 * room from itself, and bodies already in (queued or running) are never refused for it.
 * Clients are the names the kit knows (the admin, the consumers, anonymous): a few, kept.
 */
export class ByteBudget {
  used = 0;
  readonly max: number;
  /** Bodies refused to make room for another client's. */
  refused = 0;
  private readonly holders = new Map<string, Holder>();
  private readonly refuse: (body: Charged) => void;

  constructor(max: number, refuse: (body: Charged) => void = () => undefined) {
    this.max = max;
    this.refuse = refuse;
  }

  /** Charges `n` more bytes of `body`; false when they do not fit (even after making room). */
  take(body: Charged, n: number): boolean {
    if (this.used + n > this.max && !this.makeRoom(body, n)) return false;
    let h = body.holder;
    if (h === undefined) {
      h = this.holderOf(body.client);
      body.holder = h;
      h.bodies.add(body);
    }
    h.bytes += n;
    body.charge += n;
    this.used += n;
    return true;
  }

  /** Gives back all of `body`'s bytes (its answer is over, it was refused, or its client left). */
  give(body: Charged): void {
    const h = body.holder;
    if (h === undefined) return;
    h.bytes -= body.charge;
    this.used -= body.charge;
    body.charge = 0;
    body.holder = undefined;
    h.bodies.delete(body);
  }

  /** Gives back `n` of `body`'s bytes (a piece of a streamed body, used): the rest stays charged. */
  giveSome(body: Charged, n: number): void {
    const h = body.holder;
    if (h === undefined || n <= 0) return;
    h.bytes -= n;
    this.used -= n;
    body.charge -= n;
  }

  /** Bytes charged to a client's bodies (undefined: anonymous). */
  heldBy(client: string | undefined): number {
    return this.holders.get(client ?? 'anonymous')?.bytes ?? 0;
  }

  private holderOf(client: string | undefined): Holder {
    const key = client ?? 'anonymous';
    let h = this.holders.get(key);
    if (h === undefined) {
      h = { bytes: 0, bodies: new Set() };
      this.holders.set(key, h);
    }
    return h;
  }

  /** Refuses other clients' newest arriving bodies while one holds twice what `body`'s would. */
  private makeRoom(body: Charged, n: number): boolean {
    const mine = this.holderOf(body.client);
    const wants = mine.bytes + n;
    for (;;) {
      let victim: Charged | undefined;
      let most = 0;
      for (const h of this.holders.values()) {
        if (h === mine || h.bytes < 2 * wants || h.bytes <= most) continue;
        const newest = newestArriving(h);
        if (newest === undefined) continue;
        victim = newest;
        most = h.bytes;
      }
      if (victim === undefined) return false;
      this.refused++;
      this.refuse(victim);
      this.give(victim); // whatever refuse did, its bytes are free now
      if (this.used + n <= this.max) return true;
    }
  }
}

function newestArriving(h: Holder): Charged | undefined {
  let newest: Charged | undefined;
  for (const b of h.bodies) if (b.arriving) newest = b;
  return newest;
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
