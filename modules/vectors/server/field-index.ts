/**
 * The payload indexes of a collection: field → scalar value at that path → the labels whose payload
 * has it (all scalar types, whatever the schema says, so that a lookup finds exactly what a scan
 * would); a `text` index also has its inverted index (text-postings.ts: token → values). Derived
 * state, kept by Collection.setPayload and rebuilt from the schema at load.
 */
import { type Deadline, EVERY } from './deadline.js';
import { type Filter, type Hint, type Payload, valuesAt } from './filter.js';
import { sliced, type Work } from './slices.js';
import { KNOWN_MAX } from './text-index.js';
import type { TextParams } from './text-params.js';
import { TextPostings } from './text-postings.js';

/**
 * A `should`'s union bounds the candidates while it holds at most this part of the points with a
 * value at its fields (a quarter): beyond, testing every point is cheaper than gathering them.
 */
const BOUND_PART = 4;

/** What saved() keeps of a field's index to put back. */
export interface SavedIndex {
  map: Map<unknown, Set<number>>;
  count: number;
  text: TextPostings | undefined;
}

export class FieldIndexes extends Map<string, Map<unknown, Set<number>>> {
  /**
   * Per field, the points that have a value there (any, null included: Qdrant's `points` in a
   * collection's payload_schema), kept as payloads change. Before, each info request counted them
   * by reading every payload once per index: 1.1 s for 100 indexes on 40k points, /health waiting.
   */
  private readonly counts = new Map<string, number>();
  /** The inverted index of each `text` index (text-postings.ts). */
  private readonly texts = new Map<string, TextPostings>();
  /** A field's index built aside in a change's slices (apply-change.ts), for createFieldIndex(). */
  built: { field: string; schema: unknown; index: SavedIndex } | undefined;
  /** Large values' keys computed ahead in a change's slices (apply-change.ts), used by update(). */
  readonly prepared = new Map<TextPostings, Map<string, string[]>>();

  /** The number of points with a value at an indexed field. */
  count(field: string): number {
    return this.counts.get(field) ?? 0;
  }

  /** A new, empty index of `field`, with postings for a text index's `text` (update() fills it). */
  create(field: string, text?: TextParams): void {
    this.delete(field);
    this.set(field, new Map());
    this.counts.set(field, 0);
    if (text) this.texts.set(field, new TextPostings(text));
  }

  /** The inverted index of a text index's field (none for other fields). */
  postings(field: string): TextPostings | undefined {
    return this.texts.get(field);
  }

  /** A field's index, count and postings as they are (undo.ts keeps them to put back). */
  saved(field: string): SavedIndex | undefined {
    const map = this.get(field);
    return map && { map, count: this.count(field), text: this.texts.get(field) };
  }

  /** Puts back what saved() returned (undefined: no index of the field). */
  restore(field: string, s: SavedIndex | undefined): void {
    this.delete(field);
    if (!s) return;
    this.set(field, s.map);
    this.counts.set(field, s.count);
    if (s.text) this.texts.set(field, s.text);
  }

  override delete(field: string): boolean {
    this.counts.delete(field);
    this.texts.delete(field);
    return super.delete(field);
  }

  /** Adds (1) or removes (-1) a label's payload values, in every index or only `field`'s. */
  update(label: number, p: Payload | undefined, sign: 1 | -1, field?: string): void {
    if (!p) return;
    // Every field's values read, and a text index's new values tokenized, before any index
    // changes: one that throws changes nothing.
    const all: [string, Map<unknown, Set<number>>, unknown[], Map<string, string[]> | undefined][] = [];
    for (const [f, idx] of this) {
      if (field !== undefined && f !== field) continue;
      const values = valuesAt(p, f);
      const text = sign > 0 ? this.texts.get(f) : undefined;
      const keys = text && new Map<string, string[]>();
      if (text && keys)
        for (const v of values)
          if (typeof v === 'string' && !idx.has(v) && !keys.has(v))
            keys.set(v, this.prepared.get(text)?.get(v) ?? text.keys(v));
      all.push([f, idx, values, keys]);
    }
    for (const [f, idx, values, keys] of all) {
      if (values.length > 0) this.counts.set(f, (this.counts.get(f) ?? 0) + sign);
      const text = this.texts.get(f);
      for (const v of values) {
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') continue;
        const set = idx.get(v);
        if (sign > 0) {
          if (set) set.add(label);
          else {
            idx.set(v, new Set([label]));
            if (typeof v === 'string') text?.add(v, keys!.get(v)!);
          }
        } else if (set?.delete(label) && set.size === 0) {
          idx.delete(v);
          if (typeof v === 'string') text?.remove(v);
        }
      }
    }
  }

  /**
   * The labels a filter can match (intersection over the filter's hints on indexed fields, each a
   * union over the index's values that pass); undefined when no hint is on an indexed field. A
   * superset: the filter is applied to them afterwards. A range over many values unites many sets,
   * and a filter may hold 1,000 hints: with the request's deadline, in its slices (slices.ts). An
   * index that changes while it pauses is read as it is then (the filter applied afterwards sees
   * the points as they are). Every text condition of the filter on a text index, wherever it
   * stands (must, should, must_not, nested), is then answered for each value from the postings
   * (TextQuery.settled: text-postings.ts answers()): none is tokenized to be judged but a superset's.
   */
  candidates(filter: Filter, dl?: Deadline): Set<number> | undefined | Promise<Set<number> | undefined> {
    for (const { key, query } of filter.texts ?? []) {
      const text = this.texts.get(key);
      if (text?.params === query.params) query.settled = text.answers(query);
    }
    const hints = (filter.hints ?? []).filter((h) => this.has(h.key));
    // A `should` bounds the candidates when each of its conditions has a hint on an indexed field
    // (a text condition: its postings): the union of theirs. One without (a has_id, a must_not)
    // could be met by any point.
    const anyOf = (filter.anyOf ?? [])
      .map((alts) => alts.map((a) => a.filter((h) => this.has(h.key))))
      .filter((alts) => alts.every((a) => a.length > 0));
    if (hints.length === 0 && anyOf.length === 0) return undefined;
    return sliced(this.bound(hints, anyOf), dl);
  }

  /**
   * For a filter of `must_not` text conditions only (Filter.noneOf): the labels that meet any of
   * them, from the postings (each condition's values, then their labels: exact), in the request's
   * slices; undefined when a key has no text index that answers its condition, or when the
   * postings say they hold over a quarter of the key's values (then the scan: gathering most of
   * the points cost twice the scan, measured at 100,000). Collection.matching() leaves these out
   * of the live labels, reading no payload.
   */
  excluded(filter: Filter, dl?: Deadline): Set<number> | undefined | Promise<Set<number> | undefined> {
    const noneOf = filter.noneOf ?? [];
    if (noneOf.length === 0) return undefined;
    let reach = 0;
    for (const h of noneOf) {
      if (!this.get(h.key) || this.texts.get(h.key)?.params !== h.text?.params) return undefined;
      reach += this.reach(h);
      if (reach > this.count(h.key) / BOUND_PART) return undefined;
    }
    for (const { key, query } of filter.texts ?? []) query.settled = this.texts.get(key)!.answers(query);
    const self = this;
    function* work(): Work<Set<number> | undefined> {
      const out = new Set<number>();
      let n = 0;
      for (const h of noneOf) {
        const s = yield* self.unite([h]);
        if (!s || !self.get(h.key)) return undefined; // its index dropped while this paused
        for (const l of s) {
          if ((++n & EVERY) === 0) yield;
          out.add(l);
        }
      }
      return out;
    }
    return sliced(work(), dl);
  }

  /** The intersection of the hints' sets and, for each `should`, the union of its alternatives'. */
  private *bound(hints: Hint[], anyOf: Hint[][][]): Work<Set<number> | undefined> {
    const sets: Set<number>[] = [];
    let n = 0;
    if (hints.length > 0) {
      const s = yield* this.unite(hints);
      if (s) sets.push(s);
    }
    for (const alts of anyOf) {
      // Worth it only while the union stays a small part of the points: gathering half the
      // collection as candidates cost more than testing every point (measured: modules/vectors/README.md).
      const most = Math.max(...alts.flat().map((h) => this.count(h.key))) / BOUND_PART;
      const union = new Set<number>();
      let bounded = true;
      for (const a of alts) {
        // What its text conditions' lists say it would gather, before gathering it.
        const reach = Math.min(...a.map((h) => this.reach(h)));
        if (union.size + reach > most) {
          bounded = false;
          break;
        }
        const s = yield* this.unite(a);
        // Its fields dropped while this paused, or too many: no bound from this `should`.
        bounded = s !== undefined && union.size + s.size <= most;
        if (!bounded) break;
        for (const l of s!) {
          if ((++n & EVERY) === 0) yield;
          union.add(l);
        }
      }
      if (bounded) sets.push(union);
    }
    if (sets.length === 0) return undefined;
    sets.sort((a, b) => a.size - b.size);
    const [first, ...rest] = sets;
    if (rest.length === 0) return first;
    const out = new Set<number>();
    for (const l of first!) {
      if ((++n & EVERY) === 0) yield;
      if (rest.every((s) => s.has(l))) out.add(l);
    }
    return out;
  }

  /** A text hint's reach in its postings (text-postings.ts reach()); 0 when no postings say. */
  private reach(h: Hint): number {
    const text = this.texts.get(h.key);
    return h.text && text?.params === h.text.params ? text.reach(h.text) : 0;
  }

  private *unite(hints: Hint[]): Work<Set<number> | undefined> {
    const sets: Set<number>[] = [];
    let n = 0;
    for (const h of hints) {
      const idx = this.get(h.key);
      if (!idx) continue; // dropped while this paused: fewer sets to intersect, still a superset
      const text = this.texts.get(h.key);
      const f = h.text && text?.params === h.text.params ? yield* text.lookup(h.text) : undefined;
      if (text && f && f.ids.length === 1 && text.version === f.version) {
        // One value (a rare word): its points, no pause needed.
        const value = text.valueOf(f.ids[0]!)!;
        if (f.exact) {
          if (h.text!.known.size < KNOWN_MAX) h.text!.known.set(value, true);
          sets.push(new Set(idx.get(value)));
          continue;
        }
      }
      if (text && f && text.version === f.version) {
        // The labels under the values the postings found (a superset's each tested); not used if
        // the postings change while this pauses (their ids name other values then).
        const set = new Set<number>();
        let changed = false;
        outer: for (let i = 0; i < f.ids.length; i++) {
          if ((++n & EVERY) === 0) {
            yield;
            changed = text.version !== f.version;
            if (changed) break;
          }
          const value = text.valueOf(f.ids[i]!)!;
          if (!f.exact && !h.test(value)) continue;
          // Known to match: the filter applied to the candidates asks the postings no more.
          if (f.exact && h.text!.known.size < KNOWN_MAX) h.text!.known.set(value, true);
          for (const l of idx.get(value) ?? []) {
            if ((++n & EVERY) === 0) {
              yield;
              changed = text.version !== f.version;
              if (changed) break outer;
            }
            set.add(l);
          }
        }
        if (!changed) {
          sets.push(set);
          continue;
        }
      }
      const set = new Set<number>();
      for (const [value, labels] of idx) {
        if ((++n & EVERY) === 0) yield;
        if (!h.test(value)) continue;
        for (const l of labels) {
          if ((++n & EVERY) === 0) yield;
          set.add(l);
        }
      }
      sets.push(set);
    }
    if (sets.length === 0) return undefined;
    sets.sort((a, b) => a.size - b.size);
    const [first, ...rest] = sets;
    if (rest.length === 0) return first;
    const out = new Set<number>();
    outer: for (const l of first!) {
      for (const s of rest) {
        if ((++n & EVERY) === 0) yield;
        if (!s.has(l)) continue outer;
      }
      out.add(l);
    }
    return out;
  }
}
