/**
 * Maximal marginal relevance, as Qdrant's query `{"nearest": v, "mmr": {"diversity", "candidates_limit"}}`
 * does it: take the `candidates_limit` nearest points (default: the limit), pick the most relevant,
 * then repeatedly the one with the best λ·relevance − (1−λ)·(its highest similarity to a point
 * already picked), λ = 1 − diversity. Points come back in that order with their similarity to the
 * query as score, not the MMR score (as Qdrant: a score a client can compare).
 */
import type { Collection, Hit } from './collection.js';
import { type Deadline, EVERY } from './deadline.js';
import { bad, body, int } from './parse.js';
import { sliced, type Work } from './slices.js';

export interface Mmr {
  lambda: number;
  candidates?: number;
}

export function parseMmr(v: unknown): Mmr {
  const o = body(v, ['diversity', 'candidates_limit'], 'mmr');
  let diversity = 0.5;
  if (o.diversity !== undefined && o.diversity !== null) {
    if (typeof o.diversity !== 'number' || !(o.diversity >= 0 && o.diversity <= 1))
      throw bad('mmr.diversity must be a number from 0 to 1');
    diversity = o.diversity;
  }
  const candidates =
    o.candidates_limit === undefined || o.candidates_limit === null
      ? undefined
      : int(o.candidates_limit, 'mmr.candidates_limit', 0, 1, 16_384);
  return { lambda: 1 - diversity, candidates };
}

/**
 * The selection, in the request's slices (slices.ts): 16,384 candidates make ~134M similarities
 * (54 s at 16 dimensions), which before ran in one turn until the deadline. If the collection
 * changed while it paused, a point whose label no longer holds its id is not answered.
 */
export function mmrSelect(
  c: Collection,
  hits: Hit[],
  lambda: number,
  limit: number,
  dl?: Deadline,
): Hit[] | Promise<Hit[]> {
  if (hits.length < 2) return hits.slice(0, limit);
  const changes = c.changeCount;
  const ids = hits.map((h) => c.ids[h.label]);
  const picked = sliced(select(c, hits, lambda, limit), dl);
  const still = (p: Hit[]) => {
    if (c.changeCount === changes) return p;
    const was = new Map(hits.map((h, i) => [h.label, ids[i]]));
    return p.filter((h) => c.ids[h.label] !== undefined && c.ids[h.label] === was.get(h.label));
  };
  return picked instanceof Promise ? picked.then(still) : still(picked);
}

function* select(c: Collection, hits: Hit[], lambda: number, limit: number): Work<Hit[]> {
  // Similarity, higher is closer: scores for Cosine/Dot, the negated distance for Euclid.
  const sim = c.config.distance === 'Euclid' ? (s: number) => -s : (s: number) => s;
  const between = (a: number, b: number) => sim(c.score(c.vectorOf(a), b));
  const remaining = hits.slice();
  const picked: Hit[] = [];
  // Each candidate's highest similarity to a picked point, updated as points are picked.
  const nearestPicked = new Map<number, number>();
  let n = 0;
  let next = remaining.reduce((best, h, i) => (sim(h.score) > sim(remaining[best]!.score) ? i : best), 0);
  while (picked.length < limit && remaining.length > 0) {
    const [chosen] = remaining.splice(next, 1);
    picked.push(chosen!);
    let best = -Infinity;
    for (const [i, h] of remaining.entries()) {
      if ((++n & EVERY) === 0) yield;
      const s = Math.max(nearestPicked.get(h.label) ?? -Infinity, between(chosen!.label, h.label));
      nearestPicked.set(h.label, s);
      const mmr = lambda * sim(h.score) - (1 - lambda) * s;
      if (mmr > best) {
        best = mmr;
        next = i;
      }
    }
  }
  return picked;
}
