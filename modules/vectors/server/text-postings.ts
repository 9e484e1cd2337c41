/**
 * The inverted index of a `text` payload index, as Qdrant's full-text index is one: each token (as
 * the index's parameters make it: text-index.ts) → the field's distinct string values that hold it.
 * A match.text filter's candidates are the intersection of its tokens' postings, text_any's their
 * union, phrase's their intersection and then the positional check on those values only; the
 * labels come from the field's value index (field-index.ts: value → labels). Before, every distinct
 * stored value was tokenized per query (100,000 distinct texts: 100,000 tokenizations a query).
 *
 * Postings are per distinct value, not per point: a value set on 100,000 points is tokenized once
 * and its tokens held once. Derived state like the value index: kept by FieldIndexes.update(),
 * put back by undo.ts, rebuilt at load and after a snapshot restore; never persisted.
 *
 * A `prefix` index's keys are each token's first 0 to PREFIX_KEY characters (UTF-16 units): a query
 * token no longer than that finds exactly the values with a word it begins; a longer one finds
 * those of its first PREFIX_KEY, then each is tested (text-index.ts's matcher). A word of 300,000
 * letters is PREFIX_KEY + 1 keys, not its 300,000 prefixes.
 */
import { EVERY } from './deadline.js';
import type { Work } from './slices.js';
import { docTokensWork, finish, type TextQuery } from './text-index.js';
import { type TextParams, textParams } from './text-params.js';

/** The longest prefix of a `prefix` index's token kept as a key. */
export const PREFIX_KEY = 4;

/** A field's text index parameters for its postings; none for another schema or one refused now. */
export function postingsParams(schema: unknown): TextParams | undefined {
  try {
    return textParams(schema);
  } catch {
    // Refused since it was made (text-index.ts filterContext says so to each filter): no postings.
    return undefined;
  }
}

/** What a lookup found: values holding the query's keys, and whether each surely matches. */
export interface Found {
  values: Iterable<string>;
  /** false: a superset, each value to be tested (a phrase's order, a long prefix). */
  exact: boolean;
}

const NONE: Found = { values: [], exact: true };

export class TextPostings {
  /**
   * Key → the distinct values holding it: one value as itself, more as a Set (most tokens of a
   * value of 200,000 distinct words are its own: a Set each was 280 bytes a token).
   */
  private readonly postings = new Map<string, string | Set<string>>();
  /**
   * Value → the string held in the postings and its keys (removing a value tokenizes nothing). That
   * string, not the one a removal is given: an equal string parsed from another request is a
   * different object, and each Set and === compared it character by character, once per key (a
   * value of 200,000 distinct words: 200,000 × 1.4 MB, 12 s).
   */
  private readonly keysOf = new Map<string, { held: string; keys: string[] }>();

  constructor(readonly params: TextParams) {}

  /** The number of distinct keys, and of values held (tests and measurements). */
  get size(): { keys: number; values: number } {
    return { keys: this.postings.size, values: this.keysOf.size };
  }

  /** A value's keys, each once: pure, so that an update computes them all before it changes anything. */
  keys(value: string): string[] {
    return finish(this.keysWork(value));
  }

  /** keys() as work that pauses (apply-change.ts: a large value tokenized in a change's slices). */
  *keysWork(value: string): Work<string[]> {
    const tokens = new Set(yield* docTokensWork(this.params, value));
    if (this.params.tokenizer !== 'prefix') return [...tokens];
    const out = new Set<string>();
    let n = 0;
    for (const t of tokens) {
      if ((++n & EVERY) === 0) yield;
      for (let i = 0; i <= Math.min(t.length, PREFIX_KEY); i++) out.add(t.slice(0, i));
    }
    return [...out];
  }

  /** A value now held by some point (its keys from keys()). */
  add(value: string, keys: string[]): void {
    this.keysOf.set(value, { held: value, keys });
    for (const k of keys) {
      const had = this.postings.get(k);
      if (had === undefined) this.postings.set(k, value);
      else if (typeof had !== 'string') had.add(value);
      else if (had !== value) this.postings.set(k, new Set([had, value]));
    }
  }

  /** A value no point holds any more. */
  remove(value: string): void {
    const entry = this.keysOf.get(value);
    if (!entry) return;
    const { held, keys } = entry;
    this.keysOf.delete(held);
    for (const k of keys) {
      const had = this.postings.get(k);
      if (had === held) this.postings.delete(k);
      else if (typeof had !== 'string' && had?.delete(held) && had.size === 1)
        this.postings.set(k, had.values().next().value!);
    }
  }

  private key(t: string): { key: string; exact: boolean } {
    if (this.params.tokenizer !== 'prefix' || t.length <= PREFIX_KEY) return { key: t, exact: true };
    return { key: t.slice(0, PREFIX_KEY), exact: false };
  }

  /**
   * The values a text condition can match (`q.params` must be this index's). A generator: a union
   * or an intersection of large postings pauses in the request's slices (slices.ts).
   */
  *lookup(q: TextQuery): Work<Found> {
    if (q.tokens.length === 0) return NONE; // the condition matches nothing
    let exact = q.kind !== 'phrase';
    const sets: ReadonlySet<string>[] = [];
    for (const t of new Set(q.tokens)) {
      const k = this.key(t);
      exact &&= k.exact;
      const had = this.postings.get(k.key);
      if (had !== undefined) sets.push(typeof had === 'string' ? new Set([had]) : had);
      else if (q.kind !== 'any') return NONE; // a token no value holds
    }
    let n = 0;
    if (q.kind === 'any') {
      if (sets.length === 1) return { values: sets[0]!, exact };
      const out = new Set<string>();
      for (const s of sets)
        for (const v of s) {
          if ((++n & EVERY) === 0) yield;
          out.add(v);
        }
      return { values: out, exact };
    }
    sets.sort((a, b) => a.size - b.size);
    const [first, ...rest] = sets;
    if (rest.length === 0) return { values: first!, exact };
    const out = new Set<string>();
    outer: for (const v of first!) {
      for (const s of rest) {
        if ((++n & EVERY) === 0) yield;
        if (!s.has(v)) continue outer;
      }
      out.add(v);
    }
    return { values: out, exact };
  }
}
