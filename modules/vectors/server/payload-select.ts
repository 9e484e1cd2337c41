/**
 * `with_payload` as Qdrant reads it: a list of paths (or `{"include": [...]}`) keeps the fields at
 * those paths, `{"exclude": [...]}` drops them, paths written as filter keys (`meta.source`,
 * `chunks[].text`). The walk is Qdrant's (lib/segment/src/json_path, value_filter): an object's key
 * and an array's elements (as `[]`) are kept while the path so far and some include path agree on
 * what both have (`meta` and `meta.source`: `meta` kept, then its `source` only); a value that is
 * not an object or array is kept whole. An exclude path drops the value there and all under it.
 * Before, a path was looked up as a top-level key: `meta.source` kept nothing, silently.
 */
import type { Payload } from './filter.js';
import { setOwn } from './own-key.js';

/** One step of a path: a key, or `[]` (every element of an array). */
type Step = string | typeof EVERY;
const EVERY = Symbol('[]');

/** "a.b[].c" → ['a', 'b', EVERY, 'c']; `[n]` (one element) never matches a walk's `[]`, as in Qdrant. */
function steps(path: string): (Step | number)[] {
  const out: (Step | number)[] = [];
  for (const part of path.split('.')) {
    const m = /^(.*?)((?:\[\d*\])*)$/.exec(part)!;
    out.push(m[1]!);
    for (const b of m[2]!.match(/\[\d*\]/g) ?? []) out.push(b === '[]' ? EVERY : Number(b.slice(1, -1)));
  }
  return out;
}

/** Qdrant's value_filter: keep what `keep(path)` allows, walking into objects and arrays. */
function walk(v: unknown, path: Step[], keep: (path: Step[]) => boolean): unknown {
  if (Array.isArray(v)) {
    path.push(EVERY);
    const out = keep(path) ? v.map((x) => walk(x, path, keep)) : [];
    path.pop();
    return out;
  }
  if (typeof v !== 'object' || v === null) return v;
  const out: Payload = {};
  for (const [k, x] of Object.entries(v)) {
    path.push(k);
    // A "__proto__" field too (own-key.ts): assigned, it vanished from the answer.
    if (keep(path)) setOwn(out, k, walk(x, path, keep));
    path.pop();
  }
  return out;
}

/** The payload's fields at (or on the way to) `paths`. */
export function includePaths(p: Payload, paths: string[]): Payload {
  const patterns = paths.map(steps);
  // A prefix either way: each step both have is the same.
  const keep = (path: Step[]) => patterns.some((q) => path.every((s, i) => i >= q.length || q[i] === s));
  return walk(p, [], keep) as Payload;
}

/** The payload without the fields at `paths` (and all under them). */
export function excludePaths(p: Payload, paths: string[]): Payload {
  const patterns = paths.map(steps);
  const drop = (path: Step[]) =>
    patterns.some((q) => q.length <= path.length && q.every((s, i) => path[i] === s));
  return walk(p, [], (path) => !drop(path)) as Payload;
}

/**
 * The payload without the values at `paths`, as Qdrant's delete payload keys (JsonPath value_remove):
 * `meta.page` removes a nested key, `parts[].page` it in each element, `parts[]` empties the
 * array; a key through an array without `[]`, or `[n]` at the end, removes nothing. Before, keys
 * were top-level names: `meta.page` removed nothing, silently. Objects and arrays on the way are
 * copied, never changed: the payload before stays as it was (the undo journal and the field
 * indexes read it).
 */
export function removePaths(p: Payload, paths: string[]): Payload {
  let out: unknown = p;
  for (const path of paths) out = removeAt(out, steps(path));
  return out as Payload;
}

function removeAt(v: unknown, path: (Step | number)[]): unknown {
  const [head, ...rest] = path;
  if (typeof head === 'string') {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.hasOwn(v, head)) return v;
    const o = v as Payload;
    const copy = { ...o };
    if (rest.length === 0) delete copy[head];
    else {
      const child = removeAt(o[head], rest);
      if (child === o[head]) return v;
      copy[head] = child;
    }
    return copy;
  }
  if (!Array.isArray(v)) return v;
  if (head === EVERY) {
    if (rest.length === 0) return [];
    const next = v.map((x) => removeAt(x, rest));
    return next.every((x, i) => x === v[i]) ? v : next;
  }
  // [n]: one element, and not at the end (Qdrant does not delete array positions).
  if (rest.length === 0 || typeof head !== 'number' || head >= v.length) return v;
  const child = removeAt(v[head], rest);
  if (child === v[head]) return v;
  const copy = v.slice();
  copy[head] = child;
  return copy;
}
