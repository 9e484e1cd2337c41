/**
 * The Qdrant REST API subset (see ../README.md) on the module server kit: same paths, bodies,
 * answers ({"result", "status": "ok", "time"}) and errors ({"status": {"error"}, "time"}).
 */
import {
  createKitServer,
  HttpError,
  type KitLimits,
  type KitLog,
  type KitServer,
  parseJson,
  type Reply,
  type RequestContext,
  type Route,
} from '../../kit/server/index.js';
import type { Collection } from './collection.js';
import { ownerOf } from './consumer-purge.js';
import { DEFAULT_MAX_TIMEOUT_S, requestDeadline, TimeoutError } from './deadline.js';
import { graphLost } from './graph.js';
import { API_VERSION, collectionInfo, telemetry } from './info.js';
import { type BodyParser, bodyParser, LATER } from './offload.js';
import { mergeMetadata } from './ops.js';
import { bad, body, checkCollectionName, checkMetadata, isObject, parseCollectionConfig } from './parse.js';
import { pointRoutes } from './points.js';
import { quarantineRoutes } from './quarantine-admin.js';
import { type DeadlineOf, searchRoutes } from './search.js';
import { FileAnswer } from './snapshot-files.js';
import { snapshotRoutes } from './snapshots.js';
import type { Store } from './store.js';
import { textParams } from './text-index.js';

export interface ApiOptions {
  log: KitLog;
  token?: string;
  limits?: Partial<KitLimits>;
  /** Parses large bodies in a worker thread (main.ts); without it every body is parsed in place. */
  bodies?: BodyParser;
  /** The longest a request's scans may run, and the cap on Qdrant's `timeout` (VECTORS_MAX_TIMEOUT_S). */
  maxTimeoutS?: number;
}

export type Handler = (ctx: RequestContext, params: string[]) => Promise<unknown> | unknown;
/** `then(body)` with the request's JSON body: at once when it is in and parsed in place, else later. */
export type WithJson = <T>(ctx: RequestContext, then: (body: unknown) => T) => T | Promise<T>;
export type RouteTable = [string, RegExp, Handler][];

/**
 * Qdrant's two ways to send the key, "api-key: KEY" and "Authorization: Bearer KEY": the kit
 * compares either (tokenHeader below) with the admin's token and the consumers' own (blueprint's
 * client-tokens, 8c0db21) and names the client in ctx.client.
 */
function authorized(ctx: RequestContext, token: string | undefined): boolean {
  return token === undefined || ctx.client !== undefined;
}

export async function jsonBody(ctx: RequestContext): Promise<unknown> {
  const raw = await ctx.bytes();
  return raw.length === 0 ? {} : parseJson(raw);
}

export function need(store: Store, name: string): Collection {
  const c = store.get(name);
  if (!c) throw new HttpError(404, `Not found: Collection \`${name}\` doesn't exist!`);
  return c;
}

export const updated = (seq: number) => ({ operation_id: seq, status: 'completed' });

/** A result already written as JSON text (the search routes write theirs: search.ts). */
export class JsonText {
  constructor(readonly text: string) {}
}
/** Matched routes kept by method and path (paths this long or shorter), at most ROUTES_KEPT. */
const ROUTE_PATH_KEPT = 256;
const ROUTES_KEPT = 1024;

/** An answer sent as it is, not inside {"result", "status", "time"} (Qdrant's "/" and health checks). */
class Bare {
  constructor(
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

export function createVectorsServer(store: Store, opts: ApiOptions): KitServer {
  const bodies = opts.bodies ?? bodyParser(undefined, 0);
  const json = async (ctx: RequestContext) => bodies.json(await ctx.bytes());
  // The search routes answer in the turn their request was read when they can (nothing to await).
  const withJson: WithJson = (ctx, then) => {
    const raw = ctx.ready;
    const now = raw === undefined ? LATER : bodies.jsonNow(raw);
    return now === LATER ? json(ctx).then(then) : then(now);
  };

  const capS = opts.maxTimeoutS ?? DEFAULT_MAX_TIMEOUT_S;
  // A scan that pauses stops there once its client has left (deadline.ts).
  const deadline: DeadlineOf = (ctx, operation) =>
    requestDeadline(ctx.req.url, operation, capS, () => ctx.signal.aborted);

  const table: RouteTable = [
    [
      'GET',
      /^\/$/,
      () =>
        new Bare({
          title: 'qdrant - vector search engine',
          version: API_VERSION,
          commit: 'blueprint-vectors',
        }),
    ],
    [
      'GET',
      /^\/(healthz|livez|readyz)$/,
      () => new Bare(Buffer.from('healthz check passed'), { 'content-type': 'text/plain; charset=utf-8' }),
    ],
    // Qdrant's path; the contents are this server's own (info.ts).
    ['GET', /^\/telemetry$/, () => telemetry(store, bodies.stats)],
    // Records set aside at start: the admin's only (quarantine-admin.ts).
    ...quarantineRoutes(store, opts.token),
    [
      'GET',
      /^\/collections$/,
      () => ({ collections: [...store.collections.keys()].sort().map((name) => ({ name })) }),
    ],
    ['GET', /^\/collections\/([^/]+)\/exists$/, (_c, [n]) => ({ exists: store.get(n!) !== undefined })],
    ['GET', /^\/collections\/([^/]+)$/, (_c, [n]) => collectionInfo(need(store, n!), store.problemsOf(n!))],
    [
      'PUT',
      /^\/collections\/([^/]+)$/,
      async (ctx, [n]) => {
        const config = parseCollectionConfig(await json(ctx));
        checkCollectionName(n!);
        if (store.get(n!)) throw new HttpError(409, `Wrong input: Collection \`${n}\` already exists!`);
        await store.commit({ t: 'create', name: n!, config, owner: ownerOf(ctx) });
        return true;
      },
    ],
    [
      'PATCH',
      /^\/collections\/([^/]+)$/,
      async (ctx, [n]) => {
        const c = need(store, n!);
        const o = body(await json(ctx), ['metadata'], 'update collection');
        if (o.metadata === undefined || o.metadata === null) return true;
        const metadata = checkMetadata(o.metadata);
        checkMetadata(mergeMetadata(c.config.metadata, metadata)); // the merge within the bound too
        await store.commit({ t: 'metadata', c: n!, metadata });
        return true;
      },
    ],
    [
      'DELETE',
      /^\/collections\/([^/]+)$/,
      async (_ctx, [n]) => {
        if (!store.get(n!)) return false;
        await store.commit({ t: 'drop', name: n! });
        return true;
      },
    ],
    [
      'PUT',
      /^\/collections\/([^/]+)\/points$/,
      async (ctx, [n]) => {
        const size = need(store, n!).config.size;
        const { points, wal } = await bodies.upsert(await ctx.bytes(), size);
        // A worker may have parsed it while the collection was dropped or created anew.
        if (need(store, n!).config.size !== size)
          throw bad(
            'the collection was re-created with another vector size meanwhile; send the points again',
          );
        return updated(await store.commit({ t: 'upsert', c: n!, points }, wal));
      },
    ],
    ...pointRoutes(store, json, deadline),
    ...searchRoutes(store, withJson, deadline),
    [
      'PUT',
      /^\/collections\/([^/]+)\/index$/,
      async (ctx, [n]) => {
        need(store, n!);
        const o = body(await json(ctx), ['field_name', 'field_schema', 'field_type'], 'create index');
        if (typeof o.field_name !== 'string' || o.field_name === '')
          throw bad('"field_name" must be a field name');
        const schema = o.field_schema ?? o.field_type;
        const type = isObject(schema) ? schema.type : schema;
        if (
          !['keyword', 'integer', 'float', 'bool', 'geo', 'datetime', 'text', 'uuid'].includes(type as string)
        )
          throw bad('"field_schema" must be keyword, integer, float, bool, geo, datetime, text or uuid');
        textParams(schema); // a text index's parameters not served here: a 400 naming them
        return updated(await store.commit({ t: 'index', c: n!, field: o.field_name, schema }));
      },
    ],
    [
      'DELETE',
      /^\/collections\/([^/]+)\/index\/([^/]+)$/,
      async (_ctx, [n, f]) => {
        need(store, n!);
        return updated(await store.commit({ t: 'index', c: n!, field: f!, schema: null }));
      },
    ],
    ...snapshotRoutes(store),
  ];

  /** The route for a method and path, built by the table on the first request of each. */
  const routes = new Map<string, Route>();
  function match(method: string, path: string): Route | undefined {
    const key = `${method} ${path}`;
    const kept = routes.get(key);
    if (kept) return kept;
    const r = matchTable(method, path);
    if (r && path.length <= ROUTE_PATH_KEPT) {
      if (routes.size >= ROUTES_KEPT) routes.clear();
      routes.set(key, r);
    }
    return r;
  }

  /** Qdrant's envelope around a handler's result (or the result as it is: Bare, bytes). */
  function reply(result: unknown, started: number): Reply {
    const time = (performance.now() - started) / 1000;
    // JSON.stringify, not a template: a template would keep the number's text in V8's cache (search.ts).
    if (result instanceof JsonText)
      return { json: `{"result":${result.text},"status":"ok","time":${JSON.stringify(time)}}` };
    if (result instanceof Uint8Array) return { body: result };
    // A snapshot download: streamed from its file, its length known (snapshot-files.ts).
    if (result instanceof FileAnswer)
      return {
        stream: result.chunks,
        length: result.size,
        headers: { 'content-type': 'application/octet-stream' },
      };
    if (result instanceof Bare) return { body: result.body, headers: result.headers };
    return { body: { result, status: 'ok', time } };
  }

  function matchTable(method: string, path: string): Route | undefined {
    let known = false;
    for (const [m, re, handler] of table) {
      const hit = re.exec(path);
      if (!hit) continue;
      known = true;
      if (m !== method) continue;
      let params: string[];
      try {
        params = hit.slice(1).map((s) => decodeURIComponent(s));
      } catch {
        throw bad('the path is not valid percent-encoding');
      }
      return {
        method: m as Route['method'],
        auth: false, // checked here: Qdrant clients send "api-key", which the kit does not know
        // Not async: a handler's result that is not a Promise is answered at once (the kit's Route).
        handle: (ctx) => {
          if (!authorized(ctx, opts.token))
            throw new HttpError(401, 'Must provide an API key or an Authorization bearer token');
          const started = performance.now();
          // The query string (?wait=true…) changes nothing here: every write is waited for.
          const result = handler(ctx, params);
          return result instanceof Promise ? result.then((r) => reply(r, started)) : reply(result, started);
        },
      };
    }
    if (known) throw new HttpError(405, `Method ${method} is not allowed on ${path}`);
    // Qdrant's routes not served here (aliases, groups, recommend, facet, cluster…): said as such,
    // in Qdrant's shape. Before, the kit's "no route PATH; try " with an empty list after it.
    throw new HttpError(
      404,
      `Not found: ${method} ${path} is not in the part of Qdrant's API this server serves (the vectors module's README, "The API subset")`,
    );
  }

  return createKitServer({
    name: 'vectors',
    log: opts.log,
    routes: {},
    // After a failed log write nothing more is accepted, and without the graph thread no graph
    // search: /health says so until the service restarts.
    healthy: () => store.writable && graphLost() === undefined,
    match,
    // Qdrant's `time`: how long a request that timed out had run; 0 for other errors.
    errorBody: (err) => ({
      status: { error: err.message },
      time: err instanceof TimeoutError ? err.time : 0,
    }),
    // The kit names the client (for its fair queue, and for authorized() above) by the admin's
    // token or a consumer's own, sent as Bearer or as Qdrant's api-key; the routes check it here.
    token: opts.token,
    tokenHeader: 'api-key',
    limits: { maxBodyBytes: 32 * 1024 * 1024, maxBufferedBytes: 96 * 1024 * 1024, ...opts.limits },
  });
}
