/**
 * Qdrant filters (must / should / must_not of match, range, is_empty, is_null, has_id and nested
 * filters) parsed once into a predicate over a point. Anything else is a 400, never ignored.
 */
import { HttpError } from '../../kit/server/index.js';
import { type PointId, parsePointId, pointKey } from './ids.js';
import { cachedPath, EVERY } from './json-path.js';
import { anyMatcher, phraseMatcher, type TextParams, type TextQuery, textMatcher } from './text-index.js';

export type Payload = Record<string, unknown>;
export type Predicate = (id: PointId, payload: Payload | undefined) => boolean;
/**
 * A condition every matching point meets: some value at `key` passes `test`. A payload index on
 * `key` turns it into candidates (the points under the values that pass); the filter itself is
 * still applied to them, so an index never changes an answer.
 */
export interface Hint {
  key: string;
  test(value: unknown): boolean;
  /** A text condition: a text index's postings give its candidates (text-postings.ts). */
  text?: TextQuery;
}
/**
 * A filter's predicate; `hints`: what its `must` conditions require (candidates); `anyOf`: for its
 * `should` (and those of the filters in its `must`), one list of alternatives each, a matching
 * point meeting every hint of at least one alternative (candidates: their union, when every
 * alternative has a hint on an indexed field); `texts`: every text condition in it, wherever it
 * stands, for the postings to answer (field-index.ts).
 */
export type Filter = Predicate & {
  hints?: Hint[];
  anyOf?: Hint[][][];
  texts?: { key: string; query: TextQuery }[];
  /** A text condition on one key: met exactly by the points with a value there that passes it. */
  only?: Hint;
  /**
   * A filter of `must_not` text conditions only: met exactly by the points that meet none of
   * these (field-index.ts excluded(): the postings' complement, no point read).
   */
  noneOf?: Hint[];
};
/** What a filter reads of its collection: the text index of a key, if any (text-index.ts). */
export interface FilterContext {
  text?(key: string): TextParams | undefined;
}

const bad = (message: string) => new HttpError(400, `Wrong input: ${message}`);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function onlyKeys(o: Record<string, unknown>, allowed: string[], what: string): void {
  for (const k of Object.keys(o))
    if (!allowed.includes(k) && o[k] !== undefined && o[k] !== null)
      throw bad(`${what}: "${k}" is not supported by this server (supported: ${allowed.join(', ')})`);
}

/**
 * The values at a payload path ("a.b", "a[].b", "a.b[0]", `"a.b"`: json-path.ts): arrays are
 * flattened, as Qdrant does. With `flat` false, an array at the path's end is one value (is_empty
 * tells [] and [null] apart).
 */
export function valuesAt(payload: Payload | undefined, key: string, flat = true): unknown[] {
  const steps = cachedPath(key);
  let level: unknown[] = [payload];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const next: unknown[] = [];
    if (typeof step === 'string') {
      // An array under a key is its elements (Qdrant flattens), unless a bracket follows (it
      // says which), or it is the path's end and is wanted whole.
      const spread = i + 1 < steps.length ? typeof steps[i + 1] === 'string' : flat;
      for (const v of level) {
        if (!isObject(v) || !Object.hasOwn(v, step)) continue;
        const child = v[step];
        // A loop, not push(...child): spread arguments throw past ~125k elements, and an indexed
        // field's array that threw was logged, then failed every start (vectors-large-arrays.test.ts).
        if (Array.isArray(child) && spread) for (const x of child) next.push(x);
        else next.push(child);
      }
    } else if (step === EVERY) {
      for (const v of level)
        if (Array.isArray(v)) for (const x of v) next.push(x);
        else next.push(v);
    } else for (const v of level) if (Array.isArray(v) && step < v.length) next.push(v[step]);
    level = next;
  }
  return flat ? level.flatMap((v) => (Array.isArray(v) ? v : [v])) : level;
}

/** A test over the values at a key; `one` when it means "some value passes one" (indexable). */
interface ValuesTest {
  all: (vals: unknown[]) => boolean;
  one?: (v: unknown) => boolean;
  text?: TextQuery;
}
const some = (one: ((v: unknown) => boolean) & { query?: TextQuery }): ValuesTest => ({
  all: (vals) => vals.some(one),
  one,
  text: one.query,
});

function parseMatch(key: string, m: unknown, ctx: FilterContext): ValuesTest {
  if (!isObject(m)) throw bad(`match of "${key}" must be an object`);
  const kinds = Object.keys(m);
  if (kinds.length !== 1)
    throw bad(`match of "${key}" takes one of value, any, except, text, text_any, phrase`);
  const kind = kinds[0]!;
  const arg = m[kind];
  // Qdrant's types (ValueVariants: string, integer, boolean; AnyVariants: strings or integers): a
  // float, or a list of booleans or of both kinds, matches none of them there (400); here it was
  // taken and compared, an answer Qdrant never gives.
  if (kind === 'value') {
    if (!(typeof arg === 'string' || typeof arg === 'boolean' || Number.isSafeInteger(arg)))
      throw bad(
        `match.value of "${key}" must be a string, an integer or a boolean (Qdrant's; a range matches other numbers)`,
      );
    return some((v) => v === arg);
  }
  if (kind === 'any' || kind === 'except') {
    if (
      !Array.isArray(arg) ||
      !(arg.every((x) => typeof x === 'string') || arg.every((x) => Number.isSafeInteger(x)))
    )
      throw bad(`match.${kind} of "${key}" must be a list of strings or a list of integers`);
    const set = new Set<unknown>(arg);
    if (kind === 'any') return some((v) => set.has(v));
    // Qdrant's except: some value is not in the list (["a", "b"] meets except ["a"]); null is no
    // value, and a point with none does not meet it. Before, it was "no value in the list": points
    // without the field matched, and ["a", "b"] did not. No index hint: an index holds scalars only,
    // and an object or a nested array in an array meets except too.
    return { all: (vals) => vals.some((v) => v !== null && !set.has(v)) };
  }
  if (kind === 'text') {
    if (typeof arg !== 'string') throw bad(`match.text of "${key}" must be a string`);
    // With a text index on the key: its tokens, as Qdrant (text-index.ts); else a substring.
    const index = ctx.text?.(key);
    return some(index ? textMatcher(index, arg) : (v) => typeof v === 'string' && v.includes(arg));
  }
  if (kind === 'phrase') {
    if (typeof arg !== 'string') throw bad(`match.phrase of "${key}" must be a string`);
    // With a text index: its tokens in order (text-index.ts); else a substring, as Qdrant's check.
    const index = ctx.text?.(key);
    return some(index ? phraseMatcher(index, arg) : (v) => typeof v === 'string' && v.includes(arg));
  }
  if (kind === 'text_any') {
    if (typeof arg !== 'string') throw bad(`match.text_any of "${key}" must be a string`);
    // With a text index: any of its tokens; else any word of it as a substring (Qdrant's check).
    const index = ctx.text?.(key);
    const words = arg.split(/\p{White_Space}+/u).filter((w) => w !== '');
    return some(
      index ? anyMatcher(index, arg) : (v) => typeof v === 'string' && words.some((w) => v.includes(w)),
    );
  }
  throw bad(
    `match.${kind} is not supported by this server (supported: value, any, except, text, text_any, phrase)`,
  );
}

/**
 * A date as Qdrant reads one (DateTimePayloadType::from_str): RFC 3339 (`T`, `t` or a space
 * between date and time), a zone as `Z`, `+HH:MM`, `+HHMM` or `+HH`; without a zone
 * `YYYY-MM-DD[ HH:MM[:SS[.f]]]` (or with `T` and seconds), taken as UTC. Milliseconds since 1970, or undefined.
 * Before, JavaScript's Date.parse took anything it could: "3/1/2024" and "March 1, 2024" were
 * dates in a range (Qdrant: no date), "5" a range bound (Qdrant: a 400), and a time without a zone
 * was read in the service's own time zone.
 */
const DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;
export function parseDate(s: string): number | undefined {
  const m = DATE.exec(s);
  if (!m) return undefined;
  // A time without seconds only as "YYYY-MM-DD HH:MM" (a space, no zone): Qdrant's formats with T
  // or a zone all have seconds ("2024-03-01T10:00" and "…10:00Z" were dates here).
  if (m[4] !== undefined && m[6] === undefined && (m[8] !== undefined || s[10] !== ' ')) return undefined;
  const [y, mo, d, h = 0, mi = 0, sec = 0] = m
    .slice(1, 7)
    .map((x) => (x === undefined ? undefined : Number(x)));
  const ms = m[7] === undefined ? 0 : Number(`0.${m[7]}`) * 1000;
  // setUTCFullYear, not Date.UTC: that takes a year from 0 to 99 as 1900 to 1999 ("0099-06-01"
  // was 1999-06-01; test/vectors/datetime-early-years.test.ts).
  const back = new Date(0);
  back.setUTCFullYear(y!, mo! - 1, d!);
  back.setUTCHours(h, mi, sec, 0);
  const t = back.getTime();
  // Out-of-range fields (month 13, 31 February, 25:00) roll over in Date.UTC: refused instead.
  if (
    back.getUTCMonth() !== mo! - 1 ||
    back.getUTCDate() !== d ||
    back.getUTCHours() !== h ||
    back.getUTCMinutes() !== mi ||
    back.getUTCSeconds() !== sec
  )
    return undefined;
  const zone = m[8];
  let offset = 0;
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    if (Number(z[2]) > 23 || Number(z[3] ?? 0) > 59) return undefined;
    offset = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3] ?? 0)) * 60_000;
  }
  return t + ms - offset;
}

function parseRange(key: string, r: unknown): ValuesTest {
  if (!isObject(r)) throw bad(`range of "${key}" must be an object`);
  onlyKeys(r, ['gt', 'gte', 'lt', 'lte'], `range of "${key}"`);
  const bounds: [string, number][] = [];
  let dates = 0;
  for (const op of ['gt', 'gte', 'lt', 'lte']) {
    const b = r[op];
    if (b === undefined || b === null) continue;
    if (typeof b === 'number' && Number.isFinite(b)) bounds.push([op, b]);
    else if (typeof b === 'string') {
      const t = parseDate(b); // Qdrant's datetime range
      if (t === undefined)
        throw bad(
          `range.${op} of "${key}": '${b}' is not in a supported date/time format, please use RFC 3339`,
        );
      dates++;
      bounds.push([op, t]);
    } else throw bad(`range.${op} of "${key}" must be a number or an RFC 3339 date`);
  }
  if (dates > 0 && dates < bounds.length)
    throw bad(`range of "${key}" mixes numbers and dates: give all its bounds as one or the other`);
  const inRange = (x: number) =>
    bounds.every(([op, b]) => (op === 'gt' ? x > b : op === 'gte' ? x >= b : op === 'lt' ? x < b : x <= b));
  return some((v) => {
    if (dates) {
      const t = typeof v === 'string' ? parseDate(v) : undefined;
      return t !== undefined && inRange(t);
    }
    return typeof v === 'number' && inRange(v);
  });
}

function parseCondition(c: unknown, depth: number, seen: Seen, ctx: FilterContext): Filter {
  if (!isObject(c)) throw bad('a filter condition must be an object');
  if ('must' in c || 'should' in c || 'must_not' in c || 'min_should' in c)
    return parseFilter(c, depth + 1, seen, ctx);
  if ('has_id' in c) {
    onlyKeys(c, ['has_id'], 'has_id condition');
    if (!Array.isArray(c.has_id)) throw bad('has_id must be a list of point ids');
    const keys = new Set(c.has_id.map((id) => pointKey(parsePointId(id))));
    return (id) => keys.has(pointKey(id));
  }
  if (isObject(c.is_empty) || isObject(c.is_null)) {
    const kind = 'is_empty' in c ? 'is_empty' : 'is_null';
    onlyKeys(c, [kind], `${kind} condition`);
    const arg = c[kind];
    if (!isObject(arg) || typeof arg.key !== 'string') throw bad(`${kind} takes {"key": "field"}`);
    const key = arg.key;
    // Qdrant's: no value, null or []; [null] is not empty (before, it was: arrays flattened).
    if (kind === 'is_empty')
      return (_id, p) =>
        valuesAt(p, key, false).every((v) => v === null || (Array.isArray(v) && v.length === 0));
    return (_id, p) => valuesAt(p, key).includes(null);
  }
  if ('nested' in c) throw bad('nested conditions are not supported by this server; use "a[].b" keys');
  if (!('key' in c)) {
    const [kind] = Object.keys(c);
    throw bad(
      `${kind === undefined ? 'an empty condition' : `condition "${kind}"`} is not supported by this server (supported: must, should, must_not, has_id, is_empty, is_null, and a field condition with "key")`,
    );
  }
  if (typeof c.key !== 'string' || c.key === '') throw bad('a field condition needs "key"');
  onlyKeys(c, ['key', 'match', 'range', 'is_empty', 'is_null'], `condition on "${c.key}"`);
  const key = c.key;
  if (c.is_empty !== undefined && c.is_empty !== null) return fieldEmpty(c, key, 'is_empty');
  if (c.is_null !== undefined && c.is_null !== null) return fieldEmpty(c, key, 'is_null');
  const tests: ValuesTest[] = [];
  if (c.match !== undefined && c.match !== null) tests.push(parseMatch(key, c.match, ctx));
  if (c.range !== undefined && c.range !== null) tests.push(parseRange(key, c.range));
  if (tests.length === 0) throw bad(`condition on "${key}" needs "match" or "range"`);
  // Both in one condition: either one met is enough, as in Qdrant (its FieldCondition's check is
  // match || range); before, both had to be. An index hint only for one test alone.
  const pred: Filter = (_id, p) => {
    const vals = valuesAt(p, key);
    return tests.some((t) => t.all(vals));
  };
  const one = tests.length === 1 ? tests[0]!.one : undefined;
  pred.hints = one ? [{ key, test: one, text: tests[0]!.text }] : [];
  if (pred.hints[0]?.text) pred.only = pred.hints[0];
  for (const t of tests)
    if (t.text) {
      pred.texts ??= [];
      pred.texts.push({ key, query: t.text });
    }
  return pred;
}

/**
 * Qdrant 1.19's `{"key", "is_empty": bool}` / `{"key", "is_null": bool}` (its FieldCondition's
 * check_empty and check_is_empty / check_is_null): no value at the key meets is_empty: true and
 * is_null: false; else some value must: null or [] is empty, null or an array holding null is null.
 * Alone in its condition (Qdrant then reads neither match nor range).
 */
function fieldEmpty(c: Record<string, unknown>, key: string, kind: 'is_empty' | 'is_null'): Filter {
  const want = c[kind];
  if (typeof want !== 'boolean') throw bad(`${kind} of "${key}" must be true or false`);
  if ((c.match ?? c.range ?? null) !== null)
    throw bad(`${kind} of "${key}" takes no match or range beside it`);
  const is =
    kind === 'is_empty'
      ? (v: unknown) => v === null || (Array.isArray(v) && v.length === 0)
      : (v: unknown) => v === null || (Array.isArray(v) && v.includes(null));
  return (_id, p) => {
    const vals = valuesAt(p, key, false);
    if (vals.length === 0) return kind === 'is_empty' ? want : !want;
    return vals.some((v) => is(v) === want);
  };
}

/**
 * Conditions in one filter, all its lists and nested filters together. A filter is evaluated for
 * every point it is asked about, on the main thread, ~0.6 us a condition that does not match: the
 * bound was 10,000 a list, so 50 lists of 10,000 (17 MB) made 500,000 conditions, ~300 ms a point
 * (25 minutes for 5,000 points, /health unanswered meanwhile); 10,000 in all would still be 6 ms a
 * point. A list of values to match is one condition (match.any, has_id: a Set each).
 */
const MAX_CONDITIONS = 1_000;
/** Filters nested in a filter, below the top one. */
const MAX_DEPTH = 32;
type Seen = { conditions: number };

function conditions(v: unknown, what: string, depth: number, seen: Seen, ctx: FilterContext): Filter[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  seen.conditions += list.length;
  if (seen.conditions > MAX_CONDITIONS)
    throw bad(`${what}: too many conditions (at most ${MAX_CONDITIONS} in a filter, nested ones included)`);
  return list.map((c) => parseCondition(c, depth, seen, ctx));
}

/** A Qdrant Filter object; null/undefined means every point. */
export function parseFilter(
  f: unknown,
  depth = 0,
  seen: Seen = { conditions: 0 },
  ctx: FilterContext = {},
): Filter {
  if (f === undefined || f === null) return () => true;
  if (!isObject(f)) throw bad('filter must be an object with must, should and/or must_not');
  // Passed down through every condition that is itself a filter (before, those began again at 0,
  // and 10,000 levels overflowed the stack: a 500).
  if (depth > MAX_DEPTH) throw bad('filter is nested too deeply');
  onlyKeys(f, ['must', 'should', 'must_not'], 'filter');
  const must = conditions(f.must, 'must', depth, seen, ctx);
  const should = conditions(f.should, 'should', depth, seen, ctx);
  const mustNot = conditions(f.must_not, 'must_not', depth, seen, ctx);
  // `should: []` is met by no point, as in Qdrant (any of no conditions); before, by every point.
  // Absent or null, it is no condition.
  const noShould = Array.isArray(f.should) && f.should.length === 0;
  const pred: Filter = noShould
    ? () => false
    : (id, p) =>
        must.every((c) => c(id, p)) &&
        (should.length === 0 || should.some((c) => c(id, p))) &&
        !mustNot.some((c) => c(id, p));
  // What every "must" condition (nested filters too) requires, every matching point requires.
  pred.hints = must.flatMap((c) => c.hints ?? []);
  // A matching point meets one of the `should` conditions: so it meets that one's hints.
  const anyOf = must.flatMap((c) => c.anyOf ?? []);
  if (should.length > 0) anyOf.push(should.map((c) => c.hints ?? []));
  if (anyOf.length > 0) pred.anyOf = anyOf;
  const texts: { key: string; query: TextQuery }[] = [];
  for (const list of [must, should, mustNot])
    for (const c of list) if (c.texts) for (const t of c.texts) texts.push(t);
  if (texts.length > 0) pred.texts = texts;
  if (!noShould && must.length === 0 && should.length === 0 && mustNot.every((c) => c.only))
    if (mustNot.length > 0) pred.noneOf = mustNot.map((c) => c.only!);
  return pred;
}
