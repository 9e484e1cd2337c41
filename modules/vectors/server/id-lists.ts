/**
 * A text index's postings lists (text-postings.ts): the ids of the values holding a token, kept
 * increasing. One id is a number; up to 2 × CHUNK ids an array of small integers (4 bytes each);
 * more are IdChunks, arrays of CHUNK to 2 × CHUNK ids, so that putting an id in or taking one out
 * (ids are reused: anywhere in the list) moves at most 2 × CHUNK others. One array of 60,000 ids
 * (a word in most texts) moved 60,000 at each change of a text holding it: 400 µs a change.
 */

/** The first index at or after `from` whose id is not below `id`. */
export function lowerBound(ids: ArrayLike<number>, id: number, from = 0): number {
  let lo = from;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const CHUNK = 512;

export class IdChunks {
  private readonly chunks: number[][] = [];
  size = 0;

  constructor(ids: number[]) {
    const each = Math.ceil(ids.length / Math.ceil(ids.length / CHUNK));
    for (let i = 0; i < ids.length; i += each) this.chunks.push(ids.slice(i, i + each));
    this.size = ids.length;
  }

  /** The chunk that holds `id` if any has it: the last whose first id is not above it. */
  private at(id: number): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.chunks[mid]![0]! <= id) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  has(id: number): boolean {
    const c = this.chunks[this.at(id)]!;
    return c[lowerBound(c, id)] === id;
  }

  add(id: number): void {
    const i = this.at(id);
    const c = this.chunks[i]!;
    c.splice(lowerBound(c, id), 0, id);
    this.size++;
    if (c.length > 2 * CHUNK) this.chunks.splice(i, 1, c.slice(0, CHUNK), c.slice(CHUNK));
  }

  remove(id: number): void {
    const i = this.at(id);
    const c = this.chunks[i]!;
    const at = lowerBound(c, id);
    if (c[at] !== id) return;
    c.splice(at, 1);
    this.size--;
    if (c.length >= CHUNK / 4) return;
    // A small chunk joins its next one, or the last its previous one, when they fit in one.
    const j = i + 1 < this.chunks.length ? i : i - 1;
    const [a, b] = [this.chunks[j], this.chunks[j + 1]];
    if (!a || !b || a.length + b.length > 2 * CHUNK) return;
    for (const x of b) a.push(x);
    this.chunks.splice(j + 1, 1);
  }

  /** The ids in one array, increasing. */
  flat(): number[] {
    const out: number[] = [];
    for (const c of this.chunks) for (const x of c) out.push(x);
    return out;
  }
}

/** A token's list: one id, an array, or chunks. */
export type IdList = number | number[] | IdChunks;

/** The list with `id` put in (a new list when it changes form). */
export function withId(list: IdList, id: number): IdList {
  if (typeof list === 'number') return list < id ? [list, id] : [id, list];
  if (list instanceof IdChunks) {
    list.add(id);
    return list;
  }
  if (list[list.length - 1]! < id) list.push(id);
  else list.splice(lowerBound(list, id), 0, id);
  return list.length > 2 * CHUNK ? new IdChunks(list) : list;
}

/** The list with `id` taken out; undefined when none is left. */
export function withoutId(list: IdList, id: number): IdList | undefined {
  if (typeof list === 'number') return list === id ? undefined : list;
  if (list instanceof IdChunks) {
    list.remove(id);
    return list.size <= CHUNK / 2 ? list.flat() : list;
  }
  const at = lowerBound(list, id);
  if (list[at] === id) list.splice(at, 1);
  return list.length === 1 ? list[0]! : list;
}

/** The number of ids in a list. */
export const sizeOf = (list: IdList): number =>
  typeof list === 'number' ? 1 : list instanceof IdChunks ? list.size : list.length;

/** A list's ids as an array, increasing (an array list itself, not a copy). */
export const idsOf = (list: IdList): number[] =>
  typeof list === 'number' ? [list] : list instanceof IdChunks ? list.flat() : list;

/** Whether a list has `id`. */
export const hasId = (list: IdList, id: number): boolean =>
  typeof list === 'number'
    ? list === id
    : list instanceof IdChunks
      ? list.has(id)
      : list[lowerBound(list, id)] === id;
