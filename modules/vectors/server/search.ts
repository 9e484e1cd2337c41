/**
 * The search routes of the Qdrant API subset: `points/search`, `points/query` and their batches
 * (one search per entry, on the collection's HNSW graph or exactly; see Collection.search).
 */
import { HttpError, type RequestContext } from '../../kit/server/index.js';
import { need, type RouteTable } from './api.js';
import type { Collection } from './collection.js';
import { parseFilter } from './filter.js';
import { parsePointId } from './ids.js';
import { type Mmr, mmrSelect, parseMmr } from './mmr.js';
import { bad, body, int, isObject, parseVector, parseWithPayload, parseWithVector } from './parse.js';
import type { Store } from './store.js';

const SEARCH_COMMON = [
  'filter',
  'limit',
  'offset',
  'with_payload',
  'with_vector',
  'score_threshold',
  'params',
];
const SEARCH_FIELDS = [...SEARCH_COMMON, 'vector', 'using'];
const QUERY_FIELDS = [...SEARCH_COMMON, 'query', 'using'];

/** The answer's points: validated here, searched by the collection, built in Qdrant's order. */
function search(c: Collection, b: unknown, kind: 'search' | 'query') {
  const o = body(b, kind === 'search' ? SEARCH_FIELDS : QUERY_FIELDS, kind);
  if (o.using !== undefined && o.using !== null && o.using !== '')
    throw bad('named vectors ("using") are not supported');
  let vector: unknown = kind === 'search' ? o.vector : o.query;
  let mmr: Mmr | undefined;
  if (kind === 'query' && isObject(vector)) {
    if (!('nearest' in vector))
      throw bad(
        `query ${Object.keys(vector).join(', ')} is not supported; give a vector or {"nearest": vector}`,
      );
    const n = body(vector, ['nearest', 'mmr'], 'query');
    if (n.mmr !== undefined && n.mmr !== null) mmr = parseMmr(n.mmr);
    vector = n.nearest;
  }
  if (isObject(vector) && 'vector' in vector && kind === 'search') vector = vector.vector;
  const filter = o.filter === undefined || o.filter === null ? undefined : parseFilter(o.filter);
  const limit = int(o.limit, 'limit', 10, 1, 100_000);
  const offset = int(o.offset, 'offset', 0, 0, 1_000_000);
  const withPayload = parseWithPayload(o.with_payload, false);
  const withVector = parseWithVector(o.with_vector);
  const params =
    o.params === undefined || o.params === null
      ? {}
      : body(o.params, ['hnsw_ef', 'exact', 'indexed_only'], 'params');
  if (
    o.score_threshold !== undefined &&
    o.score_threshold !== null &&
    (typeof o.score_threshold !== 'number' || !Number.isFinite(o.score_threshold))
  )
    throw bad('score_threshold must be a number');
  let labels: { label: number; score: number }[];
  if (kind === 'query' && (vector === undefined || vector === null)) {
    labels = c
      .matching(filter)
      .slice(offset, offset + limit)
      .map((label) => ({ label, score: 0 }));
  } else {
    if (typeof vector === 'number' || typeof vector === 'string') {
      const l = c.labelOf(parsePointId(vector));
      if (l === undefined) throw new HttpError(404, `Not found: No point with id ${vector} found`);
      vector = Array.from(c.vectorOf(l));
    }
    const q = parseVector(vector, c.config.size);
    const want = limit + offset;
    labels = c.search(q, mmr ? (mmr.candidates ?? want) : want, {
      filter,
      ef:
        params.hnsw_ef === undefined || params.hnsw_ef === null
          ? undefined
          : int(params.hnsw_ef, 'params.hnsw_ef', 128, 1, 100_000),
      exact: params.exact === true,
      threshold: o.score_threshold as number | undefined,
    });
    if (mmr) labels = mmrSelect(c, labels, mmr.lambda, want);
    labels = labels.slice(offset);
  }
  // Built field by field, in Qdrant's order (no spread of a record per hit: this is the hot path).
  return labels.map(({ label, score }) => ({
    id: c.ids[label]!,
    version: c.versions[label] ?? 0,
    score,
    payload: withPayload(c.payloads[label]),
    vector: withVector ? Array.from(c.vectorOf(label)) : null,
    shard_key: null,
    order_value: null,
  }));
}

export function searchRoutes(store: Store, json: (ctx: RequestContext) => Promise<unknown>): RouteTable {
  return [
    [
      'POST',
      /^\/collections\/([^/]+)\/points\/search$/,
      async (ctx, [n]) => search(need(store, n!), await json(ctx), 'search'),
    ],
    [
      'POST',
      /^\/collections\/([^/]+)\/points\/search\/batch$/,
      async (ctx, [n]) => {
        const c = need(store, n!);
        const o = body(await json(ctx), ['searches'], 'search batch');
        if (!Array.isArray(o.searches)) throw bad('"searches" must be a list');
        return o.searches.map((s) => search(c, s, 'search'));
      },
    ],
    [
      'POST',
      /^\/collections\/([^/]+)\/points\/query$/,
      async (ctx, [n]) => ({ points: search(need(store, n!), await json(ctx), 'query') }),
    ],
    [
      'POST',
      /^\/collections\/([^/]+)\/points\/query\/batch$/,
      async (ctx, [n]) => {
        const c = need(store, n!);
        const o = body(await json(ctx), ['searches'], 'query batch');
        if (!Array.isArray(o.searches)) throw bad('"searches" must be a list');
        return o.searches.map((s) => ({ points: search(c, s, 'query') }));
      },
    ],
  ];
}
