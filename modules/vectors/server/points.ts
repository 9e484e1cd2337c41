/**
 * The point routes of the Qdrant API subset but upsert and search (api.ts, search.ts): retrieve,
 * delete, payload changes, scroll and count. Writes by filter and filtered reads scan within the
 * request's deadline (deadline.ts).
 */
import { HttpError, type RequestContext } from '../../kit/server/index.js';
import { type Handler, need, type RouteTable, updated } from './api.js';
import type { Collection } from './collection.js';
import { parseFilter } from './filter.js';
import { compareIds, type PointId, parsePointId } from './ids.js';
import {
  AnswerBudget,
  bad,
  body,
  checkPayload,
  int,
  parseIds,
  parseSelector,
  parseWithPayload,
  parseWithVector,
} from './parse.js';
import type { DeadlineOf } from './search.js';
import type { Store } from './store.js';
import { filterContext } from './text-index.js';

export function pointRoutes(
  store: Store,
  json: (ctx: RequestContext) => Promise<unknown>,
  deadline: DeadlineOf,
): RouteTable {
  const record = (
    c: Collection,
    label: number,
    withPayload: (p: Record<string, unknown> | undefined) => unknown,
    withVector: boolean,
  ) => ({
    id: c.ids[label]!,
    payload: withPayload(c.payloads[label]),
    vector: withVector ? Array.from(c.vectorOf(label)) : null,
    shard_key: null,
    order_value: null,
  });

  /**
   * The points a write names, by ids or by a filter. A filter's scan has the request's deadline:
   * past it the write is refused (408) before anything is logged or applied, so a write by filter
   * is either done whole or not at all.
   */
  async function selected(
    ctx: RequestContext,
    c: Collection,
    o: Record<string, unknown>,
    operation: string,
    present = false,
  ): Promise<PointId[]> {
    const sel = parseSelector(o, filterContext(c));
    const dl = deadline(ctx, operation);
    if (sel.ids && present) {
      // A payload change names points that must be there: Qdrant's 404 for the first that is not
      // (check_unprocessed_points); here before anything is logged, so nothing changes. Before, the
      // missing ones were passed over and the answer was "completed".
      const missing = sel.ids.find((id) => c.labelOf(id) === undefined);
      if (missing !== undefined) throw new HttpError(404, `Not found: No point with id ${missing} found`);
    }
    if (sel.ids) return sel.ids.filter((id) => c.labelOf(id) !== undefined);
    return (await c.matching(sel.filter, dl, false)).map((l) => c.ids[l]!);
  }

  return [
    [
      'POST',
      /^\/collections\/([^/]+)\/points$/,
      async (ctx, [n]) => {
        const c = need(store, n!);
        const o = body(await json(ctx), ['ids', 'with_payload', 'with_vector'], 'retrieve');
        const wp = parseWithPayload(o.with_payload, true);
        const wv = parseWithVector(o.with_vector);
        const ids = parseIds(o.ids, 'ids');
        // One record an id, repeats included: 16M ids fit in a 32 MiB body.
        new AnswerBudget().take(ids.length, wv ? ids.length * c.config.size : 0);
        return ids.flatMap((id) => {
          const l = c.labelOf(id);
          return l === undefined ? [] : [record(c, l, wp, wv)];
        });
      },
    ],
    [
      'GET',
      /^\/collections\/([^/]+)\/points\/([^/]+)$/,
      (_ctx, [n, id]) => {
        const c = need(store, n!);
        const pid = /^\d+$/.test(id!) ? Number(id) : id;
        const l = c.labelOf(parsePointId(pid));
        if (l === undefined) throw new HttpError(404, `Not found: No point with id ${id} found`);
        return record(c, l, parseWithPayload(true, true), true);
      },
    ],
    [
      'POST',
      /^\/collections\/([^/]+)\/points\/delete$/,
      async (ctx, [n]) => {
        const c = need(store, n!);
        const ids = await selected(
          ctx,
          c,
          body(await json(ctx), ['points', 'filter'], 'delete points'),
          'delete',
        );
        return updated(await store.commit({ t: 'delete', c: n!, ids }));
      },
    ],
    ...(['POST', 'PUT'] as const).map((method): [string, RegExp, Handler] => [
      method,
      /^\/collections\/([^/]+)\/points\/payload$/,
      async (ctx, [n]) => {
        const c = need(store, n!);
        const o = body(await json(ctx), ['payload', 'points', 'filter'], 'set payload');
        const payload = checkPayload(o.payload, '"payload"');
        const ids = await selected(ctx, c, o, 'set payload', true);
        return updated(
          await store.commit({
            t: 'payload',
            c: n!,
            ids,
            mode: method === 'POST' ? 'set' : 'overwrite',
            payload,
          }),
        );
      },
    ]),
    [
      'POST',
      /^\/collections\/([^/]+)\/points\/payload\/delete$/,
      async (ctx, [n]) => {
        const c = need(store, n!);
        const o = body(await json(ctx), ['keys', 'points', 'filter'], 'delete payload');
        if (!Array.isArray(o.keys) || !o.keys.every((k) => typeof k === 'string'))
          throw bad('"keys" must be a list of field names');
        return updated(
          await store.commit({
            t: 'unset',
            c: n!,
            ids: await selected(ctx, c, o, 'delete payload', true),
            keys: o.keys as string[],
            paths: true,
          }),
        );
      },
    ],
    [
      'POST',
      /^\/collections\/([^/]+)\/points\/payload\/clear$/,
      async (ctx, [n]) => {
        const c = need(store, n!);
        const ids = await selected(
          ctx,
          c,
          body(await json(ctx), ['points', 'filter'], 'clear payload'),
          'clear payload',
          true,
        );
        return updated(await store.commit({ t: 'payload', c: n!, ids, mode: 'clear' }));
      },
    ],
    [
      'POST',
      /^\/collections\/([^/]+)\/points\/scroll$/,
      async (ctx, [n]) => {
        const c = need(store, n!);
        const o = body(
          await json(ctx),
          ['offset', 'limit', 'filter', 'with_payload', 'with_vector'],
          'scroll',
        );
        const limit = int(o.limit, 'limit', 10, 1, 100_000);
        const wv = parseWithVector(o.with_vector);
        new AnswerBudget().take(0, wv ? Math.min(limit, c.count) * c.config.size : 0);
        let labels = await c.matching(
          o.filter === undefined || o.filter === null
            ? undefined
            : parseFilter(o.filter, 0, undefined, filterContext(c)),
          deadline(ctx, 'scroll'),
        );
        if (o.offset !== undefined && o.offset !== null) {
          const from = parsePointId(o.offset);
          labels = labels.filter((l) => compareIds(c.ids[l]!, from) >= 0);
        }
        const wp = parseWithPayload(o.with_payload, true);
        return {
          points: labels.slice(0, limit).map((l) => record(c, l, wp, wv)),
          next_page_offset: labels.length > limit ? c.ids[labels[limit]!] : null,
        };
      },
    ],
    [
      'POST',
      /^\/collections\/([^/]+)\/points\/count$/,
      async (ctx, [n]) => {
        const c = need(store, n!);
        const o = body(await json(ctx), ['filter', 'exact'], 'count');
        const dl = deadline(ctx, 'count');
        return {
          count: o.filter
            ? (await c.matching(parseFilter(o.filter, 0, undefined, filterContext(c)), dl, false)).length
            : c.count,
        };
      },
    ],
  ];
}
