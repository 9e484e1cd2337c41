/**
 * The inverted index of a `text` payload index, as Qdrant's full-text index is one: each token (as
 * the index's parameters make it: text-index.ts) → the field's distinct string values that hold it.
 * A match.text condition's values are the intersection of its tokens' postings, text_any's their
 * union, phrase's their intersection and then the positional check; the labels come from the
 * field's value index (field-index.ts: value → labels). Every text condition of a filter is
 * answered from here, wherever it stands (must: candidates; should, must_not, nested: each value's
 * answer, TextQuery.settled). Before, every distinct stored value was tokenized per query.
 *
 * Postings are per distinct value, not per point: a value set on 100,000 points is tokenized once
 * and its tokens held once. Values and tokens are numbered (ids reused once let go), tokens
 * interned, and a token's list holds value ids in order (id-lists.ts): at 100,000 short texts this
 * took 122 MiB with the value index where Sets of value strings and a string per value and token
 * did; 68–69 MiB now (README). With phrase_matching a value's tokens are kept in order (its
 * positions, as Qdrant keeps them then): a phrase is checked on token ids, no value tokenized again.
 * Derived state like the value index: kept by FieldIndexes.update(), put back by undo.ts, rebuilt
 * at load and after a snapshot restore; never persisted.
 *
 * A `prefix` index's keys are each token's first 0 to PREFIX_KEY characters (UTF-16 units): a query
 * token no longer than that finds exactly the values with a word it begins; a longer one finds
 * those of its first PREFIX_KEY, then each is tested (text-index.ts's matcher). A word of 300,000
 * letters is PREFIX_KEY + 1 keys, not its 300,000 prefixes. Its phrases are tested on the values.
 */
import { EVERY } from './deadline.js';
import { hasId, type IdList, idsOf, sizeOf, withId, withoutId } from './id-lists.js';
import type { Work } from './slices.js';
import { docTokensWork, finish, occurs, type TextQuery } from './text-index.js';
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

/**
 * What a lookup found: the ids of the values holding the query's keys, increasing. An id names its
 * value only while the postings' version is the one found with (ids are reused).
 */
export interface Found {
  ids: ArrayLike<number>;
  /** false: a superset, each value to be tested (a phrase on a prefix index, a long prefix). */
  exact: boolean;
  version: number;
}

/** No token: a free slot of `lists`. */
const FREE = -1;
/** A lookup that the postings' changes keep interrupting gives up after this many tries. */
const TRIES = 3;

export class TextPostings {
  /**
   * Tokens interned: key → its id, and id → key. A value's tokens were strings of their own (one
   * per value and token: 1.4 million at 100,000 short texts), each value's Set entries too.
   */
  private readonly tokenIds = new Map<string, number>();
  private readonly tokens: string[] = [];
  /**
   * Token id → the ids of the distinct values holding it, increasing (id-lists.ts: a number, an
   * array of small integers, 4 bytes each, or chunks of them; a Set of the values was about 20
   * bytes an entry). FREE: a token id not in use.
   */
  private readonly lists: (IdList | typeof FREE)[] = [];
  private readonly freeTokens: number[] = [];
  /**
   * Value → its id; id → the value (the string the postings hold: an equal string from another
   * request is compared once, by the Map, not once per key) and its token ids (a removal tokenizes
   * nothing).
   */
  private readonly valueIds = new Map<string, number>();
  private readonly values: (string | undefined)[] = [];
  private readonly valueKeys: number[][] = [];
  private readonly freeValues: number[] = [];
  /** Changed by every add and remove: a lookup's ids are read only while it is the same. */
  version = 0;

  constructor(readonly params: TextParams) {
    this.ordered = params.phrase && params.tokenizer !== 'prefix';
  }

  /** The number of distinct keys, and of values held (tests and measurements). */
  get size(): { keys: number; values: number } {
    return { keys: this.tokenIds.size, values: this.valueIds.size };
  }

  /** Each key with the values holding it (tests). */
  entries(): [string, string[]][] {
    return [...this.tokenIds].map(([k, t]) => {
      return [k, idsOf(this.lists[t] as IdList).map((id) => this.values[id]!)];
    });
  }

  /**
   * Whether each value's tokens are kept in order (duplicates too), for a phrase's positional check
   * (Qdrant keeps positions when phrase_matching is on). A `prefix` index's keys are prefixes, not
   * its tokens: its phrases are checked on the values tokenized again.
   */
  private readonly ordered: boolean;

  /** A value's keys, each once: pure, so that an update computes them all before it changes anything. */
  keys(value: string): string[] {
    return finish(this.keysWork(value));
  }

  /** keys() as work that pauses (apply-change.ts: a large value tokenized in a change's slices). */
  *keysWork(value: string): Work<string[]> {
    const seq = yield* docTokensWork(this.params, value);
    if (this.ordered) return seq; // in order, each as often as it stands there
    const tokens = new Set(seq);
    if (this.params.tokenizer !== 'prefix') return [...tokens];
    const out = new Set<string>();
    let n = 0;
    for (const t of tokens) {
      if ((++n & EVERY) === 0) yield;
      for (let i = 0; i <= Math.min(t.length, PREFIX_KEY); i++) out.add(t.slice(0, i));
    }
    return [...out];
  }

  /** A value now held by some point (its keys from keys(), each once). */
  add(value: string, keys: string[]): void {
    if (this.valueIds.has(value)) return;
    this.version++;
    const id = this.freeValues.pop() ?? this.values.length;
    this.valueIds.set(value, id);
    this.values[id] = value;
    // Made to its size (pushed, an array has up to half as much again unused).
    const own = new Array<number>(keys.length);
    let o = 0;
    const seen = this.ordered ? new Set<number>() : undefined;
    for (const k of keys) {
      let t = this.tokenIds.get(k);
      if (t === undefined) {
        t = this.freeTokens.pop() ?? this.tokens.length;
        this.tokenIds.set(k, t);
        this.tokens[t] = k;
        this.lists[t] = FREE;
      }
      own[o++] = t;
      if (seen?.has(t)) continue; // a token again: its list has the value already
      seen?.add(t);
      const had = this.lists[t]!;
      this.lists[t] = had === FREE ? id : withId(had, id);
    }
    this.valueKeys[id] = own;
  }

  /** A value no point holds any more. */
  remove(value: string): void {
    const id = this.valueIds.get(value);
    if (id === undefined) return;
    this.version++;
    this.valueIds.delete(value);
    for (const t of this.valueKeys[id]!) {
      const had = this.lists[t]!;
      if (had === FREE) continue; // a token again (ordered keys): its list is gone already
      const left = withoutId(had, id);
      if (left !== undefined) {
        this.lists[t] = left;
        continue;
      }
      this.tokenIds.delete(this.tokens[t]!);
      this.tokens[t] = '';
      this.lists[t] = FREE;
      this.freeTokens.push(t);
    }
    this.values[id] = undefined;
    this.valueKeys[id] = [];
    this.freeValues.push(id);
  }

  /** The value an id of a Found names (while the version is the one found with). */
  valueOf(id: number): string | undefined {
    return this.values[id];
  }

  /**
   * About how many values a lookup of `q` reads, without reading them: the longest of its tokens'
   * lists for text_any (at least that many values match), the shortest for text and phrase (an
   * intersection walks it). A `should`'s candidates are gathered only when few (field-index.ts).
   */
  reach(q: TextQuery): number {
    const sizes = q.tokens.map((t) => {
      const at = this.tokenIds.get(this.key(t).key);
      const list = at === undefined ? FREE : this.lists[at]!;
      return list === FREE ? 0 : sizeOf(list);
    });
    if (sizes.length === 0) return 0;
    return q.kind === 'any' ? Math.max(...sizes) : Math.min(...sizes);
  }

  /**
   * A condition's answer for each value, from the postings as they are then: true or false, or
   * undefined where they cannot say (a value they do not hold, a long prefix's key, a phrase on a
   * `prefix` index): then the value is tested. Nothing is gathered ahead: each value costs a look
   * in each query token's list (a must_not of a word in most values beside a rare must: one value
   * judged, not the word's 60,000 ids read).
   */
  answers(q: TextQuery): (value: string) => boolean | undefined {
    // The query tokens' key ids (FREE: no value holds it), made again when the postings change; a
    // phrase's in its order, repeats included (its positions), others' each once.
    let version = -1;
    const tokens: number[] = [];
    const exact: boolean[] = [];
    return (value) => {
      const id = this.valueIds.get(value);
      if (id === undefined) return undefined;
      if (version !== this.version) {
        version = this.version;
        q.tokens.forEach((t, i) => {
          const k = this.key(t);
          tokens[i] = this.tokenIds.get(k.key) ?? FREE;
          exact[i] = k.exact;
        });
      }
      let sure = true;
      let some = false;
      for (let i = 0; i < tokens.length; i++) {
        const t = tokens[i]!;
        const had = t === FREE ? FREE : this.lists[t]!;
        const has = had !== FREE && hasId(had, id);
        if (q.kind === 'any') {
          if (has && exact[i]) return true;
          some ||= has;
        } else if (!has) return false;
        sure &&= exact[i]!;
      }
      if (q.kind === 'any') return some ? undefined : false;
      if (q.kind === 'phrase') return this.ordered ? occurs(tokens, this.valueKeys[id]!, false) : undefined;
      return sure ? true : undefined;
    };
  }

  private key(t: string): { key: string; exact: boolean } {
    if (this.params.tokenizer !== 'prefix' || t.length <= PREFIX_KEY) return { key: t, exact: true };
    return { key: t.slice(0, PREFIX_KEY), exact: false };
  }

  /**
   * The values a text condition can match (`q.params` must be this index's). A generator: a union
   * or an intersection of large postings pauses in the request's slices (slices.ts); if a change
   * comes meanwhile, it starts again, and after TRIES undefined (the caller tests the values).
   */
  *lookup(q: TextQuery): Work<Found | undefined> {
    for (let i = 0; i < TRIES; i++) {
      const lists = this.listsOf(q);
      if (!Array.isArray(lists)) return lists; // at once: none, or one list
      const found = yield* this.combine(q, lists);
      if (found) return found;
    }
    return undefined;
  }

  /**
   * The lists of a query's tokens, or what it found when that needs no work (no token, a token no
   * value holds, one list): most queries answered without a generator's turn.
   */
  private listsOf(q: TextQuery): IdList[] | Found {
    const version = this.version;
    const none = { ids: [], exact: true, version };
    if (q.tokens.length === 0) return none; // the condition matches nothing
    let exact = q.kind !== 'phrase';
    const lists: IdList[] = [];
    for (const t of q.tokens.length === 1 ? q.tokens : new Set(q.tokens)) {
      const k = this.key(t);
      exact &&= k.exact;
      const at = this.tokenIds.get(k.key);
      const had = at === undefined ? FREE : this.lists[at]!;
      if (had !== FREE) lists.push(had);
      else if (q.kind !== 'any') return none; // a token no value holds
    }
    if (lists.length === 0) return none;
    if (lists.length === 1 && !(q.kind === 'phrase' && this.ordered))
      return { ids: idsOf(lists[0]!), exact, version };
    return lists;
  }

  /** Several lists united or intersected, a phrase's positions checked: undefined if a change came. */
  private *combine(q: TextQuery, lists: IdList[]): Work<Found | undefined> {
    const version = this.version;
    let exact = q.kind !== 'phrase';
    for (const t of q.tokens) exact &&= this.key(t).exact;
    if (q.kind === 'phrase' && this.ordered) return yield* this.inOrder(q, lists, version);
    let n = 0;
    const still = () => this.version === version;
    if (q.kind === 'any') {
      // A union: marked in a byte per value id when that is cheaper than sorting them all.
      let total = 0;
      for (const l of lists) total += sizeOf(l);
      const cap = this.values.length;
      if (total * 16 < cap) {
        const all = new Int32Array(total);
        for (const l of lists) for (const id of idsOf(l)) all[n++] = id;
        all.sort();
        let m = 0;
        for (let i = 0; i < all.length; i++) if (m === 0 || all[i] !== all[m - 1]) all[m++] = all[i]!;
        return { ids: all.subarray(0, m), exact, version };
      }
      const mark = new Uint8Array(cap);
      for (const l of lists)
        for (const id of idsOf(l)) {
          if ((++n & EVERY) === 0) {
            yield;
            if (!still()) return undefined;
          }
          mark[id] = 1;
        }
      const out: number[] = [];
      for (let id = 0; id < cap; id++) {
        if ((id & 0xffff) === 0xffff) {
          yield;
          if (!still()) return undefined;
        }
        if (mark[id]) out.push(id);
      }
      return { ids: out, exact, version };
    }
    return yield* this.intersection(lists, exact, version);
  }

  /**
   * A phrase from the positions kept: the values holding all its tokens, then those where they
   * stand one after another (text-index.ts occurs), on the token ids: exact, none tokenized.
   */
  private *inOrder(q: TextQuery, lists: IdList[], version: number): Work<Found | undefined> {
    const all = yield* this.intersection(lists, true, version);
    if (!all) return undefined;
    const pat = q.tokens.map((t) => this.tokenIds.get(t)!);
    const out: number[] = [];
    for (let i = 0; i < all.ids.length; i++) {
      if ((i & EVERY) === EVERY) {
        yield;
        if (this.version !== version) return undefined;
      }
      const id = all.ids[i]!;
      if (occurs(pat, this.valueKeys[id]!, false)) out.push(id);
    }
    return { ids: out, exact: true, version };
  }

  /** The ids in every list: the shortest list's looked for in the others. */
  private *intersection(lists: IdList[], exact: boolean, version: number): Work<Found | undefined> {
    if (lists.length === 1) return { ids: idsOf(lists[0]!), exact, version };
    let n = 0;
    const still = () => this.version === version;
    lists.sort((a, b) => sizeOf(a) - sizeOf(b));
    const [first, ...rest] = lists;
    const out: number[] = [];
    outer: for (const id of idsOf(first!)) {
      for (const l of rest) {
        if ((++n & EVERY) === 0) {
          yield;
          if (!still()) return undefined;
        }
        if (!hasId(l, id)) continue outer;
      }
      out.push(id);
    }
    return { ids: out, exact, version };
  }
}
