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
import { EVERY, type PathStep, parsePath } from './json-path.js';
import { setOwn } from './own-key.js';

/**
 * "a.b[].c" → ['a', 'b', EVERY, 'c'] (json-path.ts, quoted keys too); `[n]` (one element) never
 * matches a walk's `[]`, as in Qdrant.
 */
const steps = parsePath;

/**
 * The paths as a tree of their steps, each path's last step marked `end`: a payload is walked once
 * beside it, a map lookup a field, whatever the number of paths. Before, every field of every
 * point answered was compared with every path (a request's list of paths has no bound of its own).
 */
interface Tree {
  end: boolean;
  next: Map<PathStep, Tree>;
}
function tree(paths: string[]): Tree {
  const root: Tree = { end: false, next: new Map() };
  for (const path of paths) {
    let t = root;
    for (const s of steps(path)) {
      let n = t.next.get(s);
      if (!n) {
        n = { end: false, next: new Map() };
        t.next.set(s, n);
      }
      t = n;
    }
    t.end = true;
  }
  return root;
}

/**
 * Qdrant's value_filter for include: an object's key, or an array's elements (`[]`), are kept while
 * some path goes on that way; all that is under a path's end is kept whole.
 */
function kept(v: unknown, t: Tree): unknown {
  if (Array.isArray(v)) {
    const n = t.next.get(EVERY);
    return n ? (n.end ? v : v.map((x) => kept(x, n))) : [];
  }
  if (typeof v !== 'object' || v === null) return v;
  const out: Payload = {};
  for (const [k, x] of Object.entries(v)) {
    const n = t.next.get(k);
    // A "__proto__" field too (own-key.ts): assigned, it vanished from the answer.
    if (n) setOwn(out, k, n.end ? x : kept(x, n));
  }
  return out;
}

/** For exclude: what is at a path's end dropped (an array's `[]`: its elements), the rest kept. */
function dropped(v: unknown, t: Tree): unknown {
  if (Array.isArray(v)) {
    const n = t.next.get(EVERY);
    return n ? (n.end ? [] : v.map((x) => dropped(x, n))) : v;
  }
  if (typeof v !== 'object' || v === null) return v;
  const out: Payload = {};
  for (const [k, x] of Object.entries(v)) {
    const n = t.next.get(k);
    if (!n?.end) setOwn(out, k, n ? dropped(x, n) : x);
  }
  return out;
}

/**
 * Keeps the payload's fields at (or on the way to) `paths`. The paths are cut once, here, not for
 * each point answered.
 */
export function includer(paths: string[]): (p: Payload) => Payload {
  const t = tree(paths);
  return (p) => kept(p, t) as Payload;
}

/** Drops the fields at `paths` (and all under them) from a payload; the paths cut once, here. */
export function excluder(paths: string[]): (p: Payload) => Payload {
  const t = tree(paths);
  return (p) => dropped(p, t) as Payload;
}

/** The payload's fields at (or on the way to) `paths`. */
export const includePaths = (p: Payload, paths: string[]): Payload => includer(paths)(p);

/** The payload without the fields at `paths` (and all under them). */
export const excludePaths = (p: Payload, paths: string[]): Payload => excluder(paths)(p);

/**
 * The payload without the values at `paths`, as Qdrant's delete payload keys (JsonPath value_remove):
 * `meta.page` removes a nested key, `parts[].page` it in each element, `parts[]` empties the
 * array; a key through an array without `[]`, or `[n]` at the end, removes nothing. Before, keys
 * were top-level names: `meta.page` removed nothing, silently. Objects and arrays on the way are
 * copied, never changed: the payload before stays as it was (the undo journal and the field
 * indexes read it).
 */
export function remover(paths: string[]): (p: Payload) => Payload {
  const cut = paths.map(steps); // once, not for each point
  return (p) => {
    let out: unknown = p;
    for (const path of cut) out = removeAt(out, path);
    return out as Payload;
  };
}

export const removePaths = (p: Payload, paths: string[]): Payload => remover(paths)(p);

function removeAt(v: unknown, path: PathStep[]): unknown {
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
