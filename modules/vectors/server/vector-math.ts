/**
 * The arithmetic of a collection's vectors (collection.ts): a vector as stored and searched
 * (float32; Cosine vectors normalised, as Qdrant stores and returns them) and a score.
 */
import type { Distance } from './collection.js';

/**
 * `v` in float32 into `out` (its length), normalised in float32 for Cosine: the stored form and a
 * query's alike, so that exact and graph scores agree to the last bit.
 */
export function asQuery(v: ArrayLike<number>, distance: Distance, out: Float32Array): Float32Array {
  const d = v.length;
  for (let i = 0; i < d; i++) out[i] = v[i]!;
  if (distance === 'Cosine') {
    let n = 0;
    for (let i = 0; i < d; i++) n += out[i]! * out[i]!;
    n = Math.sqrt(n);
    if (n > 0) for (let i = 0; i < d; i++) out[i] = out[i]! / n;
  }
  return out;
}

/** The score of `q` against the `d` numbers of `v` from `base`: a dot product, or for Euclid the distance. */
export function scoreAt(
  q: ArrayLike<number>,
  v: Float32Array,
  base: number,
  d: number,
  distance: Distance,
): number {
  let s = 0;
  if (distance === 'Euclid') {
    for (let i = 0; i < d; i++) {
      const x = q[i]! - v[base + i]!;
      s += x * x;
    }
    return Math.sqrt(s);
  }
  for (let i = 0; i < d; i++) s += q[i]! * v[base + i]!;
  return s;
}
