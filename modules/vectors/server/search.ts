/**
 * The search routes of the Qdrant API subset: `points/search`, `points/query` and their batches
 * (one search per entry, on the collection's HNSW graph or exactly; see Collection.search).
 */
import { HttpError, type RequestContext } from '../../kit/server/index.js';
import { JsonText, need, type RouteTable, type WithJson } from './api.js';
import type { Collection, Hit } from './collection.js';
import type { Deadline } from './deadline.js';
import { parseFilter } from './filter.js';
import { parsePointId } from './ids.js';
import { type Mmr, mmrSelect, parseMmr } from './mmr.js';
import {
  AnswerBudget,
  bad,
  body,
  int,
  isObject,
  MAX_ANSWER_NUMBERS,
  type PayloadSelector,
  parseVector,
  parseVectorBase64,
  parseWithPayload,
  parseWithVector,
  vectorEncoding,
} from './parse.js';
import type { Store } from './store.js';
import { filterContext } from './text-index.js';

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
 * order (scoredPoints) into the answer, which the kit sends as it is.
 */
function search(
  c: Collection,
  b: unknown,
  kind: 'search' | 'query',
  dl: Deadline,
  budget: AnswerBudget | undefined,
  base64: boolean,
): string | Promise<string> {
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
  if (isObject(vector) && 'vector' in vector && kind === 'search') {
    // Qdrant's NamedVector: only the one unnamed vector ("") is here; another name was searched
    // against it before, silently.
    const named = body(vector, ['name', 'vector'], 'vector');
    if (named.name !== undefined && named.name !== null && named.name !== '')
      throw bad(
        `Not existing vector name error: ${JSON.stringify(named.name)} (this server's collections have one unnamed vector; send the numbers alone)`,
      );
    vector = named.vector;
  }
  const filter =
    o.filter === undefined || o.filter === null
      ? undefined
      : parseFilter(o.filter, 0, budget?.filters, filterContext(c));
  const limit = int(o.limit, 'limit', 10, 1, 100_000);
  const offset = int(o.offset, 'offset', 0, 0, 1_000_000);
  const withPayload = parseWithPayload(o.with_payload, false);
  const withVector = parseWithVector(o.with_vector);
  // What the answer can hold: the collection's points at most. A batch shares one budget; one
  // search's points are bounded by `limit` already, its vector numbers are checked here.
  const n = c.count;
  const numbers = withVector ? Math.min(limit, n) * c.config.size : 0;
  if (budget) budget.take(Math.min(limit + offset, n), numbers);
  else if (numbers > MAX_ANSWER_NUMBERS) new AnswerBudget().take(0, numbers);
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
  if (kind === 'query' && (vector === undefined || vector === null)) {
    // Qdrant's 400 (collection_query.rs); before, the threshold was passed over and all came back.
    if (o.score_threshold !== undefined && o.score_threshold !== null)
      throw bad(
        "A query is needed to use the score_threshold. Can't have score_threshold without defining a query.",
      );
    const page = (all: number[]) =>
      scoredPoints(
        c,
        all.slice(offset, offset + limit).map((label) => ({ label, score: 0 })),
        withPayload,
        withVector,
      );
    const all = c.matching(filter, dl);
    return all instanceof Promise ? all.then(page) : page(all);
  }
  // With the header (parse.ts VECTOR_ENCODING) the vector is base64 text, never a point id.
  // A point's own id: that point is left out of the answer, as Qdrant does (it adds must_not
  // has_id to the filter); one more is asked for and it is dropped (before, it came first).
  let self: number | undefined;
  if (!base64 && (typeof vector === 'number' || typeof vector === 'string')) {
    self = c.labelOf(parsePointId(vector));
    if (self === undefined) throw new HttpError(404, `Not found: No point with id ${vector} found`);
    vector = Array.from(c.vectorOf(self));
  }
  const q = base64 ? parseVectorBase64(vector, c.config.size) : parseVector(vector, c.config.size);
  const want = limit + offset;
  const k = mmr ? (mmr.candidates ?? want) : want;
  const others = (hits: Hit[]) =>
    self === undefined ? hits : hits.filter((h) => h.label !== self).slice(0, k);
  const found = c.search(q, self === undefined ? k : k + 1, {
    filter,
    ef:
      params.hnsw_ef === undefined || params.hnsw_ef === null
        ? undefined
        : int(params.hnsw_ef, 'params.hnsw_ef', 128, 1, 100_000),
    exact: params.exact === true,
    threshold: o.score_threshold as number | undefined,
    deadline: dl,
  });
  // A graph search in the graph worker, or a search that let the event loop turn, answers later.
  const page = (hits: Hit[]) => scoredPoints(c, hits.slice(offset), withPayload, withVector);
  // MMR's selection too may let the event loop turn (mmr.ts).
  const answer = (all: Hit[]) => {
    const hits = others(all);
    const picked = mmr ? mmrSelect(c, hits, mmr.lambda, want, dl) : hits;
    return picked instanceof Promise ? picked.then(page) : page(picked);
  };
  return found instanceof Promise ? found.then(answer) : answer(found);
}

/**
 * Qdrant's ScoredPoint list as JSON text: one JSON.stringify of plain objects, which writes each
 * number straight into its output. Text made with String(x) or a template would also go into V8's
 * number-to-string cache, which holds up to 16k of them: ~20 new ones a search (scores, ids) kept
 * alive there survive the scavenges, are promoted and fill the old generation (~0.5 MB a scavenge,
 * a full GC every few thousand searches); this way is ~2x faster as well (3.2 vs 6.7 us for 10 hits).
 */
export function scoredPoints(
  c: Collection,
  hits: { label: number; score: number }[],
  withPayload: PayloadSelector,
  withVector: boolean,
): string {
  const points = new Array(hits.length);
  for (let i = 0; i < hits.length; i++) {
    const { label, score } = hits[i]!;
    points[i] = {
      id: c.ids[label]!,
      version: c.versions[label] ?? 0,
      score,
      payload: withPayload(c.payloads[label]),
      vector: withVector ? Array.from(c.vectorOf(label)) : null,
      shard_key: null,
      order_value: null,
    };
  }
  return JSON.stringify(points);
}

/**
 * Searches in one batch. They run one after the other on the main thread (an exact search, the
 * default below 10,000 points, reads every point): 20,000 in one 4 MB body held the event loop for
 * seconds to minutes by the collection's size, /health unanswered meanwhile.
 */
const MAX_BATCH_SEARCHES = 1_000;

/** The request's deadline (deadline.ts), made when its body is in. */
export type DeadlineOf = (ctx: RequestContext, operation: string) => Deadline;

export function searchRoutes(store: Store, withJson: WithJson, deadline: DeadlineOf): RouteTable {
  // Each search of a batch goes to the graph worker at once; the answer when all are back.
  const batch = (ctx: RequestContext, n: string, kind: 'search' | 'query') => {
    const c = need(store, n);
    const base64 = vectorEncoding(ctx.req.headers);
    return withJson(ctx, (b) => {
      const o = body(b, ['searches'], `${kind} batch`);
      if (!Array.isArray(o.searches)) throw bad('"searches" must be a list');
      if (o.searches.length > MAX_BATCH_SEARCHES)
        throw bad(
          `a batch holds ${o.searches.length} searches; at most ${MAX_BATCH_SEARCHES}: send them in several batches`,
        );
      const searches = o.searches;
      const budget = new AnswerBudget();
      const dl = deadline(ctx, `${kind} batch`);
      const each: (string | Promise<string>)[] = [];
      const text = (all: string[]) =>
        new JsonText(`[${kind === 'query' ? all.map((p) => `{"points":${p}}`).join(',') : all.join(',')}]`);
      const answer = () =>
        each.some((x) => x instanceof Promise) ? Promise.all(each).then(text) : text(each as string[]);
      // The searches one after the other while the request's slice lasts, then the event loop turns
      // (/health, other clients) before the next slice (deadline.ts); one deadline for the batch. A
      // search that paused (a long scan) is waited for: the batch's scans run one at a time.
      const next = (): JsonText | Promise<JsonText> => {
        while (each.length < searches.length) {
          const pauses = dl.pauses;
          const found = search(c, searches[each.length], kind, dl, budget, base64);
          each.push(found);
          if (dl.pauses !== pauses) return (found as Promise<string>).then(resume);
          if (each.length < searches.length && dl.spent()) return dl.pause().then(resume);
        }
        return answer();
      };
      // Dropped (or dropped and made again) meanwhile: its searches are not this collection's.
      const resume = () => {
        if (store.get(n) !== c) throw new HttpError(404, `Not found: Collection \`${n}\` doesn't exist!`);
        return next();
      };
      return next();
    });
  };
  const one = (text: string | Promise<string>, wrap: (t: string) => string) =>
    text instanceof Promise ? text.then((t) => new JsonText(wrap(t))) : new JsonText(wrap(text));
  return [
    [
      'POST',
      /^\/collections\/([^/]+)\/points\/search$/,
      (ctx, [n]) => {
        const c = need(store, n!);
        const base64 = vectorEncoding(ctx.req.headers);
        return withJson(ctx, (b) =>
          one(search(c, b, 'search', deadline(ctx, 'search'), undefined, base64), (t) => t),
        );
      },
    ],
    ['POST', /^\/collections\/([^/]+)\/points\/search\/batch$/, (ctx, [n]) => batch(ctx, n!, 'search')],
    [
      'POST',
      /^\/collections\/([^/]+)\/points\/query$/,
      (ctx, [n]) => {
        const c = need(store, n!);
        const base64 = vectorEncoding(ctx.req.headers);
        return withJson(ctx, (b) =>
          one(search(c, b, 'query', deadline(ctx, 'query'), undefined, base64), (t) => `{"points":${t}}`),
        );
      },
    ],
    ['POST', /^\/collections\/([^/]+)\/points\/query\/batch$/, (ctx, [n]) => batch(ctx, n!, 'query')],
  ];
}
