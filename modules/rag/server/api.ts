/**
 * The rag HTTP API (see ../README.md and the table there) on the module server kit: documents
 * (ingest, list, get, delete), retrieval, chat, /info. Errors in OpenAI's shape
 * `{"error": {"message", "type", "param", "code"}}`, as the llm module's.
 */
import {
  busy,
  createKitServer,
  HttpError,
  hasLoneSurrogate,
  type KitLimits,
  type KitLog,
  type KitServer,
  type RequestContext,
  type Route,
} from '../../kit/server/index.js';
import { type ChatRequest, chat, lastUserText } from './chat.js';
import { IngestShare } from './ingest-share.js';
import { checkCollection, checkSource } from './names.js';
import { type DocumentKind, kindOf, supportedMediaTypes } from './parse.js';
import type { Rag, RetrieveTiming } from './rag.js';
import type { DocumentRecord } from './store.js';
import { type Upstream, UpstreamError } from './upstream.js';

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ApiOptions {
  log: KitLog;
  token?: string;
  limits?: Partial<KitLimits>;
  healthy?(): boolean;
  /** The used modules, for /info's reachability line. */
  upstreams: Upstream[];
  /** Longest silence of the llm inside a streamed answer. */
  streamIdleMs: number;
  /**
   * Bytes of documents being ingested at once (their bodies stay charged to the kit's budget until
   * their answers); default half of maxBufferedBytes, at least one body; one client at most half (ingest-share.ts).
   */
  ingestBytes?: number;
  /**
   * Retrieve's Server-Timing also gives the wall clock (ms since the epoch) at its steps, so a
   * client on the same machine can tell its own side of the exchange from rag's (the bench does;
   * RAG_TIMING_CLOCK=1). Off by default: an answer need not tell the server's clock.
   */
  timingClock?: boolean;
}

export function errorBody(err: HttpError) {
  const code =
    err instanceof UpstreamError ? ((err.body as { error?: { code?: unknown } })?.error?.code ?? null) : null;
  const type =
    err.status >= 500 ? (err.status === 503 ? 'server_busy' : 'server_error') : 'invalid_request_error';
  return { error: { message: err.message, type, param: err.param ?? null, code } };
}

/** A whole number in [min, max], or the fallback when absent. */
function int(v: unknown, name: string, fallback: number, min: number, max: number): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new HttpError(400, `'${name}' must be a whole number from ${min} to ${max}`, name);
  return v;
}

function text(v: unknown, name: string, max: number): string {
  if (typeof v !== 'string' || v.trim() === '')
    throw new HttpError(400, `'${name}' must be a non-empty string`, name);
  if (v.length > max) throw new HttpError(413, `'${name}' is longer than ${max} characters`, name);
  if (hasLoneSurrogate(v)) throw new HttpError(400, `'${name}' contains a lone surrogate escape`, name);
  return v;
}

/** `filter`: only `source` and/or `document`, each a string. */
function filterOf(v: unknown): { source?: string; document?: string } {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw new HttpError(400, "'filter' must be an object", 'filter');
  for (const k of Object.keys(v))
    if (k !== 'source' && k !== 'document')
      throw new HttpError(400, `'filter.${k}' is not supported: filter by 'source' or 'document'`, 'filter');
  for (const k of ['source', 'document'] as const)
    if (v[k] !== undefined && typeof v[k] !== 'string')
      throw new HttpError(400, `'filter.${k}' must be a string`, 'filter');
  return v as { source?: string; document?: string };
}

/** The kind for a JSON upload's text, from its source name's extension (default: plain text). */
export function kindFromName(source: string): DocumentKind {
  const ext = /\.([A-Za-z]+)$/.exec(source)?.[1]?.toLowerCase();
  if (ext === 'md' || ext === 'markdown') return 'markdown';
  if (ext === 'html' || ext === 'htm') return 'html';
  return 'text';
}

const publicRecord = (d: DocumentRecord) => ({
  id: d.id,
  source: d.source,
  collection: d.collection,
  sha256: d.sha256,
  chunks: d.chunks,
  pages: d.pages,
  bytes: d.bytes,
  kind: d.kind,
  createdAt: d.createdAt,
});

/** Runs heavy work in its turn in the kit's fair queue (createRagServer). */
type Heavy = <T>(ctx: RequestContext, work: () => Promise<T>) => Promise<T>;

/**
 * The kit's client of a request: who its token names, else `anonymous` (all requests without a
 * token together, as in the kit's queue): never the connection, of which a client may open many.
 */
const clientOf = (ctx: RequestContext) => ctx.client ?? 'anonymous';

async function ingest(rag: Rag, ctx: RequestContext, heavy: Heavy, share: IngestShare) {
  const query = new URL(ctx.req.url ?? '/', 'http://rag').searchParams;
  const type = ctx.req.headers['content-type'];
  let input: { bytes: Uint8Array; kind: DocumentKind; source: string; collection: string };
  if ((type ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json') {
    const b = await ctx.json();
    if (!isObject(b)) throw new HttpError(400, 'the request body must be a JSON object');
    const source = checkSource(b.source ?? query.get('source'));
    const t = text(b.text, 'text', Number.MAX_SAFE_INTEGER);
    input = {
      bytes: Buffer.from(t, 'utf8'),
      kind: kindFromName(source),
      source,
      collection: checkCollection(b.collection ?? query.get('collection')),
    };
  } else {
    const kind = kindOf(type);
    if (!kind)
      throw new HttpError(
        415,
        `unsupported Content-Type ${JSON.stringify(type ?? '')}: send one of ${[...supportedMediaTypes, 'application/json'].join(', ')}`,
      );
    const source = checkSource(query.get('source'));
    const collection = checkCollection(query.get('collection'));
    const bytes = await ctx.bytes();
    if (bytes.length === 0) throw new HttpError(400, 'the document is empty');
    input = { bytes, kind, source, collection };
  }
  // The parse takes turns by client as the kit's queue does (clientOf); the rest (embedding,
  // writing) is heavy work like a retrieval, in the kit's queue. Held throughout: waiting for the parse worker is in none of the kit's queues, and its idle
  // sweep would close the connection (test/rag/kit-hold.test.ts).
  const client = clientOf(ctx);
  // The wait for room in the ingests' share is held too (ingest-share.ts).
  const r = await ctx.hold(
    share.run(
      client,
      input.bytes.length,
      () => rag.ingest(input, ctx.signal, client, (work) => heavy(ctx, work)),
      ctx.signal,
    ),
  );
  const { duplicate, ...record } = r;
  return { status: duplicate ? 200 : 201, body: { ...publicRecord(record), duplicate } };
}

function parseChat(body: unknown): ChatRequest {
  if (!isObject(body)) throw new HttpError(400, 'the request body must be a JSON object');
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0)
    throw new HttpError(400, "'messages' must be a non-empty array", 'messages');
  for (const [i, m] of messages.entries())
    if (!isObject(m) || typeof m.role !== 'string')
      throw new HttpError(400, `'messages[${i}]' must be an object with a 'role'`, 'messages');
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean')
    throw new HttpError(400, "'stream' must be a boolean", 'stream');
  const f = filterOf(body.filter);
  return {
    body,
    messages: messages as ChatRequest['messages'],
    stream: body.stream === true,
    query: text(lastUserText(messages as ChatRequest['messages']), 'messages', 16_384),
    k: int(body.k, 'k', 4, 1, 32),
    collection: checkCollection(body.collection),
    ...f,
  };
}

/**
 * The rag API. Heavy work (a retrieval, a chat's retrieval, a delete, an ingest once parsed) runs in
 * the kit's fair queue, sized as any module's: RAG_CONCURRENCY places, RAG_MAX_QUEUE waiting, turns
 * between clients. An ingest first waits for the one parse worker (parse-line.ts), and it did so in
 * one of those places: four ingests waiting on the worker held them all, and every retrieval and
 * chat waited up to a whole parse budget. A chat's wait for the llm's answer held one too (the llm
 * answers rag's chats one at a time, each up to its deadline); it is outside them now, at most
 * RAG_MAX_QUEUE chats at once. Both waits are outside the kit's queue, so they go through
 * ctx.hold: the kit's idle sweep spares a connection only while it holds work, and rag used to
 * give the kit's queue a place for every request it could hold, so that its bound refused nothing
 * (test/rag/kit-hold.test.ts).
 */
export function createRagServer(rag: Rag, opts: ApiOptions): KitServer {
  const maxQueued = opts.limits?.maxQueued ?? 32;
  const heavy: Heavy = (ctx, fn) => ctx.queue(fn);
  // Bytes of documents being ingested: at most half the kit's body budget, one client at most half
  // of that, and one largest document waiting for room (ingest-share.ts).
  const maxBody = opts.limits?.maxBodyBytes ?? 4 * 1024 * 1024;
  const ingestBytes =
    opts.ingestBytes ??
    Math.max(maxBody, Math.floor((opts.limits?.maxBufferedBytes ?? 32 * 1024 * 1024) / 2));
  // Chats in progress (most wait for the llm, outside rag's queue): at most maxQueued.
  let chats = 0;
  const answering = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (chats >= maxQueued) throw busy(`busy: ${chats} chats are waiting for their answers; retry shortly`);
    chats++;
    try {
      return await fn();
    } finally {
      chats--;
    }
  };
  // Documents waiting for room: at most one largest document's bytes (ingest-share.ts).
  const share = new IngestShare(ingestBytes, Math.min(maxBody, ingestBytes));
  const documentRoute = /^\/v1\/documents\/([0-9a-f-]{36})$/;
  // Any other id (one cut short, as a log shows it): no such document, not no such route.
  const notAnId = /^\/v1\/documents\/([^/]+)$/;
  const routes: Record<string, Route> = {
    '/info': {
      method: 'GET',
      handle: async () => {
        const emb = await rag.embedder.info().catch(() => undefined);
        const llm = await rag.llm
          .call<{ model?: string }>('GET', '/info')
          .then((i) => ({ model: String(i.model ?? 'unknown') }))
          .catch(() => null);
        const upstreams: Obj = {};
        await Promise.all(
          opts.upstreams.map(async (u) => {
            upstreams[u.name] = await u.call('GET', '/health').then(
              () => 'ok',
              (e: Error) => e.message,
            );
          }),
        );
        const docs = rag.store.list();
        return {
          body: {
            collections: rag.collections(),
            documents: docs.length,
            chunks: docs.reduce((n, d) => n + d.chunks, 0),
            embeddings: emb
              ? { model: emb.model, dimensions: emb.dimensions, maxTokens: emb.maxTokens }
              : null,
            llm,
            chunk: emb ? rag.chunking(emb) : null,
            upstreams,
            // Bytes of documents received and being ingested, and waiting for room (ingest-share.ts).
            ingesting: share.stats,
          },
        };
      },
    },
    '/v1/retrieve': {
      method: 'POST',
      handle: async (ctx) => {
        const start = performance.now();
        const b = await ctx.json();
        if (!isObject(b)) throw new HttpError(400, 'the request body must be a JSON object');
        const q = {
          query: text(b.query, 'query', 16_384),
          k: int(b.k, 'k', 4, 1, 100),
          collection: checkCollection(b.collection),
          ...filterOf(b.filter),
        };
        const t: RetrieveTiming = { embedMs: 0, searchMs: 0 };
        const chunks = await heavy(ctx, () => rag.retrieve(q, ctx.signal, t));
        // Where the time went (W3C Server-Timing: browsers' tools show it; the bench reads it).
        const ms = (x: number) => x.toFixed(2);
        const end = performance.now();
        let timing = `embed;dur=${ms(t.embedMs)}, search;dur=${ms(t.searchMs)}, total;dur=${ms(end - start)}`;
        if (opts.timingClock) {
          // The handler's start, the embedding asked, answered, the search answered, the answer ready.
          const asked = t.startedAt ?? start;
          const at = [start, asked, asked + t.embedMs, asked + t.embedMs + t.searchMs, end];
          timing += `, clock;desc="${at.map((x) => (performance.timeOrigin + x).toFixed(3)).join(' ')}"`;
        }
        return { body: { chunks }, headers: { 'server-timing': timing } };
      },
    },
    '/v1/chat/completions': {
      method: 'POST',
      handle: async (ctx) => {
        const req = parseChat(await ctx.json());
        // The retrieval in the kit's queue; the llm's answer outside it (chat.ts), within a bound of
        // its own, held (ctx.hold) so that the idle sweep spares the connection meanwhile.
        return ctx.hold(answering(() => chat(rag, req, ctx.signal, opts.streamIdleMs, (w) => heavy(ctx, w))));
      },
    },
  };
  const documents: Record<string, Route> = {
    GET: {
      method: 'GET',
      handle: (ctx) => {
        const c = new URL(ctx.req.url ?? '/', 'http://rag').searchParams.get('collection');
        const list = rag.store.list(c === null ? undefined : checkCollection(c));
        return { body: { documents: list.map(publicRecord) } };
      },
    },
    POST: {
      method: 'POST',
      handle: (ctx) =>
        ingest(rag, ctx, heavy, share).catch((err: unknown) => {
          // A document refused is a line of the log, as one ingested is (a 5xx is the kit's line).
          if (err instanceof HttpError && err.status < 500) {
            const source = new URL(ctx.req.url ?? '/', 'http://rag').searchParams.get('source');
            const named = source === null ? 'a document' : JSON.stringify(source.slice(0, 1024));
            opts.log.event(`refused ${err.status}`, `refused ${named}: ${err.status} ${err.message}`);
          }
          throw err;
        }),
    },
  };
  return createKitServer({
    name: 'rag',
    log: opts.log,
    token: opts.token,
    healthy: opts.healthy,
    limits: opts.limits,
    errorBody: (err) => errorBody(err),
    routes,
    match(method, path) {
      if (path === '/v1/documents') {
        const r = documents[method];
        if (!r) throw new HttpError(405, `/v1/documents takes GET or POST, not ${method}`);
        return r;
      }
      const m = documentRoute.exec(path);
      if (!m) {
        const cut = notAnId.exec(path)?.[1];
        if (cut !== undefined && (method === 'GET' || method === 'DELETE')) {
          const shown = cut.length > 64 ? `${cut.slice(0, 64)}…` : cut;
          return {
            method,
            handle: () => {
              throw new HttpError(
                404,
                `no document ${shown}: an id is the whole one GET /v1/documents lists (36 characters)`,
                'id',
              );
            },
          };
        }
        // The kit's answer would list the exact routes only, none of these.
        throw new HttpError(
          404,
          `no route ${path}; try GET /info, GET or POST /v1/documents, GET or DELETE /v1/documents/ID, POST /v1/retrieve, POST /v1/chat/completions`,
        );
      }
      const id = m[1]!;
      if (method === 'GET')
        return {
          method: 'GET',
          handle: () => {
            const d = rag.store.get(id);
            if (!d) throw new HttpError(404, `no document ${id}`, 'id');
            return { body: publicRecord(d) };
          },
        };
      if (method === 'DELETE')
        return {
          method: 'DELETE',
          handle: async (ctx) => ({ body: await heavy(ctx, () => rag.remove(id)) }),
        };
      throw new HttpError(405, `${path} takes GET or DELETE, not ${method}`);
    },
  });
}
