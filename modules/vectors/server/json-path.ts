/**
 * A payload path as Qdrant writes one (lib/segment/src/json_path/parse.rs), for filter keys,
 * with_payload and delete payload keys alike: keys joined by dots, each raw or in double quotes
 * (`meta."file.name"`: a key holding a dot), each followed by any number of `[n]` (one element)
 * or `[]` (every element): `m[0][1]`. Read leniently where Qdrant refuses a path: a raw key is
 * whatever comes before the next dot (spaces kept), and brackets that are not `[digits]` or `[]`
 * at a key's end stay part of its name, as before quotes were read. Before, every path was cut
 * at each dot, so a field named "file.name" could be neither filtered, selected nor deleted
 * (test/vectors/quoted-path-keys.test.ts). Linear in the path: it is the client's text.
 */

/** `[]`: every element of an array. */
export const EVERY = Symbol('[]');
/** A key, an element's index, or EVERY. */
export type PathStep = string | number | typeof EVERY;

/** The steps of a path: `meta."a.b"[0][]` → ['meta', 'a.b', 0, EVERY]. */
export function parsePath(path: string): PathStep[] {
  const out: PathStep[] = [];
  let start = 0;
  for (;;) {
    // A part: up to the next dot, past a quoted key's closing quote.
    const close = path[start] === '"' ? path.indexOf('"', start + 1) : -1;
    let end = path.indexOf('.', close > start ? close + 1 : start);
    if (end < 0) end = path.length;
    const part = path.slice(start, end);
    const quoted = close > start ? bracketsFrom(part, close - start + 1) : undefined;
    if (quoted && quoted.end === close - start + 1) out.push(part.slice(1, close - start), ...quoted.steps);
    else {
      const raw = bracketsFrom(part, 0);
      out.push(part.slice(0, raw.end), ...raw.steps);
    }
    if (end === path.length) return out;
    start = end + 1;
  }
}

/** The run of `[digits]` / `[]` at the end of a part, read once from its end, not before `floor`. */
function bracketsFrom(part: string, floor: number): { end: number; steps: PathStep[] } {
  const steps: PathStep[] = [];
  let end = part.length;
  while (end > floor && part[end - 1] === ']') {
    const open = part.lastIndexOf('[', end - 2);
    if (open < floor) break;
    const digits = part.slice(open + 1, end - 1);
    if (!/^\d*$/.test(digits)) break;
    steps.push(digits === '' ? EVERY : Number(digits));
    end = open;
  }
  return { end, steps: steps.reverse() };
}

/** Paths parsed once: a filter reads its keys for every point it looks at. Short ones, a bounded number. */
const cache = new Map<string, PathStep[]>();
export function cachedPath(path: string): PathStep[] {
  let steps = cache.get(path);
  if (steps) return steps;
  steps = parsePath(path);
  if (path.length <= 1024) {
    if (cache.size >= 4096) cache.clear();
    cache.set(path, steps);
  }
  return steps;
}
