/**
 * The arithmetic of a collection's vectors (collection.ts): a vector as stored and searched
 * (float32; Cosine vectors normalised, as Qdrant stores and returns them), a score, and a graph
 * walk's answer scored.
 */
import type { Collection, Distance, Hit } from './collection.js';
import type { Walk } from './graph.js';

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

/**
 * A graph walk's labels scored from the stored vectors, so exact and graph search agree to the last
 * bit; with the labels whose change is not in the graph yet (`excluded` from the walk) scored here.
 */
export function graphHits(
  c: Collection,
  q: Float32Array,
  k: number,
  r: Walk,
  allowed: Set<number> | undefined,
  excluded: Set<number> | undefined,
): Hit[] {
  c.stats.hnswMs += r.ms;
  const hits: Hit[] = [];
  // In the worker the walk ran while changes went on here: a label freed since is left out.
  for (let i = 0; i < r.neighbors.length; i++) {
    const label = r.neighbors[i]!;
    if (c.ids[label] !== undefined) hits.push({ label, score: c.score(q, label) });
  }
  if (excluded)
    for (const label of excluded)
      if (c.ids[label] !== undefined && (!allowed || allowed.has(label)))
        hits.push({ label, score: c.score(q, label) });
  hits.sort((a, b) => (c.worse(a, b) ? 1 : c.worse(b, a) ? -1 : 0));
  if (hits.length > k) hits.length = k;
  return hits;
}
