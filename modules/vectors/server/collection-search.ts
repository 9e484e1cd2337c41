/**
 * A collection's search (Collection.search), moved here from collection.ts as it was: exact search
 * when the collection or what a filter leaves is small, else HNSW with the filter inside the walk.
 */
import type { Collection } from './collection.js';
import type { Hit } from './collection-types.js';
import type { Deadline } from './deadline.js';
import type { Filter } from './filter.js';
import { bestOf, LocalGraph, type Walk } from './graph.js';
import { graphHits } from './vector-math.js';

export interface SearchOptions {
  filter?: Filter;
  ef?: number;
  exact?: boolean;
  threshold?: number;
  deadline?: Deadline;
}

/**
 * The best k; a graph search in the graph worker, or a filter scan or exact search that lets the
 * event loop turn (matching(), exact()), answers later (a Promise then).
 */
export function searchCollection(
  c: Collection,
  vector: ArrayLike<number>,
  k: number,
  opts: SearchOptions,
): Hit[] | Promise<Hit[]> {
  const sync = c.index instanceof LocalGraph;
  if (sync) c.queryScratch ??= new Float32Array(c.config.size);
  const q = c.prepareQuery(vector, sync ? c.queryScratch : undefined);
  if (k <= 0 || c.count === 0) return [];
  // The points a filter leaves (from a field index when there is one, else by reading every
  // payload): few of them are scored exactly instead of walking the graph around them.
  const matching = opts.filter ? c.matching(opts.filter, opts.deadline, false) : undefined;
  if (!(matching instanceof Promise)) return searchAmong(c, q, k, opts, matching);
  // The scratch query is the next search's once this one pauses.
  const own = q.slice();
  return matching.then((m) => searchAmong(c, own, k, opts, m));
}

function searchAmong(
  c: Collection,
  q: Float32Array,
  k: number,
  opts: SearchOptions,
  matching: number[] | undefined,
): Hit[] | Promise<Hit[]> {
  const live = c.count;
  if (opts.exact || (matching?.length ?? live) <= c.config.fullScanThreshold) {
    c.stats.exactSearches++;
    const hits = exact(c, q, k, matching ?? c.liveLabels(), opts.deadline, opts.filter);
    return hits instanceof Promise
      ? hits.then((h) => threshold(c, h, opts.threshold))
      : threshold(c, hits, opts.threshold);
  }
  c.stats.hnswSearches++;
  const allowed = matching && new Set(matching);
  // Labels whose change is not in the graph yet are left out of the walk (their place there is
  // stale) and the live ones among them scored exactly in graphHits.
  const excluded = c.graphWaiting();
  const kk = Math.min(k, live, c.index.getMaxElements());
  const w = c.index.search(q, kk, Math.max(opts.ef ?? 128, k), { allowed, excluded });
  const done = (r: Walk) => threshold(c, graphHits(c, q, k, r, allowed, excluded), opts.threshold);
  return w instanceof Promise ? w.then(done) : done(w);
}

function threshold(c: Collection, hits: Hit[], t: number | undefined): Hit[] {
  return t === undefined ? hits : hits.filter((h) => h.score === t || c.better(h.score, t));
}

/**
 * Every label scored, the k best kept (bestOf). When it pauses (deadline.ts) the query is copied
 * (the scratch one is the next search's); if the collection changed meanwhile, the best are
 * checked again (still there, still passing the filter) and scored from their vectors now.
 */
function exact(
  c: Collection,
  q: Float32Array,
  k: number,
  labels: number[],
  dl: Deadline | undefined,
  filter: Filter | undefined,
): Hit[] | Promise<Hit[]> {
  let query = q;
  const changes = c.changeCount;
  const score = (l: number) => c.score(query, l);
  const worse = (a: Hit, b: Hit) => c.worse(a, b);
  const hits = bestOf(labels, k, score, worse, dl, () => {
    query = q.slice();
  });
  if (!(hits instanceof Promise)) return hits;
  return hits.then((best) =>
    c.changeCount === changes
      ? best
      : best
          .filter((h) => c.passes(h.label, filter))
          .map((h) => ({ label: h.label, score: score(h.label) }))
          .sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0)),
  );
}
