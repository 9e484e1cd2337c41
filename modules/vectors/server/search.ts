/**
 * The search routes of the Qdrant API subset: `points/search`, `points/query` and their batches
 * (one search per entry, on the collection's HNSW graph or exactly; see Collection.search).
 */
import { HttpError, type RequestContext } from '../../kit/server/index.js';
import { JsonText, need, type RouteTable } from './api.js';
import type { Collection } from './collection.js';
import { parseFilter } from './filter.js';
import { parsePointId } from './ids.js';
import { type Mmr, mmrSelect, parseMmr } from './mmr.js';
import {
  bad,
  body,
  int,
  isObject,
  type PayloadSelector,
  parseVector,
  parseWithPayload,
  parseWithVector,
} from './parse.js';
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

/**
 * The answer's points as JSON text: validated here, searched by the collection, written in Qdrant's
 * order straight into the answer (no object per hit, no JSON.stringify of the answer: this is the
 * hot path, a few microseconds a request against ~0.5 ms of graph search).
 */
function search(c: Collection, b: unknown, kind: 'search' | 'query'): string {
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
  return scoredPoints(c, labels, withPayload, withVector);
}

/** What JSON.stringify writes for a number (a finite number's shortest round-trip form, else null). */
const num = (x: number) => (Number.isFinite(x) ? String(x) : 'null');

/** Qdrant's ScoredPoint list, field by field as JSON.stringify of the objects would write it. */
export function scoredPoints(
  c: Collection,
  hits: { label: number; score: number }[],
  withPayload: PayloadSelector,
  withVector: boolean,
): string {
  let s = '[';
  for (let i = 0; i < hits.length; i++) {
    const { label, score } = hits[i]!;
    const id = c.ids[label]!;
    // Integer ids are safe integers; UUIDs are canonical hex, quoted by JSON.stringify all the same.
    s += `${i === 0 ? '' : ','}{"id":${typeof id === 'number' ? id : JSON.stringify(id)},"version":${num(c.versions[label] ?? 0)},"score":${num(score)},"payload":${JSON.stringify(withPayload(c.payloads[label]))},"vector":${withVector ? `[${Array.from(c.vectorOf(label), num).join(',')}]` : 'null'},"shard_key":null,"order_value":null}`;
  }
  return `${s}]`;
}

export function searchRoutes(store: Store, json: (ctx: RequestContext) => Promise<unknown>): RouteTable {
  const batch = async (ctx: RequestContext, n: string, kind: 'search' | 'query') => {
    const c = need(store, n);
    const o = body(await json(ctx), ['searches'], `${kind} batch`);
    if (!Array.isArray(o.searches)) throw bad('"searches" must be a list');
    const each = o.searches.map((s) => search(c, s, kind));
    return new JsonText(
      `[${kind === 'query' ? each.map((p) => `{"points":${p}}`).join(',') : each.join(',')}]`,
    );
  };
  return [
    [
      'POST',
      /^\/collections\/([^/]+)\/points\/search$/,
      async (ctx, [n]) => new JsonText(search(need(store, n!), await json(ctx), 'search')),
    ],
    ['POST', /^\/collections\/([^/]+)\/points\/search\/batch$/, (ctx, [n]) => batch(ctx, n!, 'search')],
    [
      'POST',
      /^\/collections\/([^/]+)\/points\/query$/,
      async (ctx, [n]) => new JsonText(`{"points":${search(need(store, n!), await json(ctx), 'query')}}`),
    ],
    ['POST', /^\/collections\/([^/]+)\/points\/query\/batch$/, (ctx, [n]) => batch(ctx, n!, 'query')],
  ];
}
