/**
 * The shapes a module writes its server against: a route, its handler's context and reply, the
 * options and the server it gets back. Apart from ./server.ts, which builds the server, so a module
 * (and a reader) finds what it may use without the machinery behind it.
 */
import type { Server } from 'node:net';
import type { HttpError } from './errors.js';
import type { KitRequest } from './exchange.js';
import type { KitLimits } from './limits.js';
import type { KitLog } from './log.js';

export interface RequestContext {
  /** Method, url, headers (lower-case names) and socket, as node's IncomingMessage has them. */
  req: KitRequest;
  path: string;
  /** The body as strict-UTF-8 JSON (400 otherwise), within the size limits. */
  json(): Promise<unknown>;
  /** The raw body (e.g. an uploaded file), within the same size limits and budget as json(). */
  bytes(): Promise<Buffer>;
  /**
   * The body as it arrives, a piece at a time, instead of bytes()/json() (one or the other, once):
   * each piece stays charged to the body budget until the iterator is asked for the next, and the
   * connection's reads pause while a piece is held (backpressure), so a large upload is never held
   * whole. The body limit still applies (the iterator throws the 413 past it); the budget's 503 is
   * thrown likewise; ClientGoneError when the client leaves. Hold a piece only as long as it takes
   * to use it: the request timeout still runs while reads are paused.
   */
  bodyStream(): AsyncIterable<Buffer>;
  /** Runs heavy work in its turn in the fair queue (503 when full; rejects if the client leaves). */
  queue<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Marks the connection as holding work until `work` settles (then gives it back as is), as a
   * request in the kit's queue does: the idle sweep and the connection cap spare it. For work a
   * module queues itself (its own FairQueue, a worker's line), where a request may wait with no
   * traffic past idleTimeoutMs. Call it as ctx.hold(…) (a method, not an own function). The hold
   * ends when the client leaves (`signal`) and, given `maxMs`, after that long, whether or not
   * `work` has settled (the work runs on; the connection is then swept as any idle one).
   */
  hold<T>(work: Promise<T>, opts?: { maxMs?: number }): Promise<T>;
  /**
   * `work` judged when it starts, as queue() judges its work: a consumer's token revoked meanwhile
   * throws the 401 instead of running it. For work a module queues itself (its own FairQueue), where
   * a request may wait long for its turn (vectors' snapshot copies); the admin's and untokened as is.
   */
  judged<T>(work: () => Promise<T>): () => Promise<T>;
  /** Aborted when the client closes the connection before its answer. */
  signal: AbortSignal;
  /**
   * Who sent it, by its token: "admin" (the admin's token), "consumer:NAME" (the token blueprint
   * issued to consumer module NAME), or undefined (no token, or one not known). The fair queue
   * takes turns by it. A route with `auth: false` that checks a token itself may use it.
   */
  readonly client: string | undefined;
  /**
   * The whole body when it has already arrived within the limits, else undefined (then json() or
   * bytes() wait for it, or give its error): a handler may then answer without awaiting anything.
   */
  readonly ready: Buffer | undefined;
}

export interface Reply {
  status?: number;
  /** Sent as JSON; a Uint8Array is sent as is (application/octet-stream unless headers say otherwise). */
  body?: unknown;
  /**
   * JSON text the module wrote itself (e.g. an answer built field by field), sent as it is with
   * content-type application/json, head and text in one write, instead of `body`.
   */
  json?: string;
  headers?: Record<string, string>;
  /**
   * A streamed answer (server-sent events as text, a file as bytes): written chunk by chunk,
   * waiting for the client to read (backpressure), instead of `body`, so at most a chunk and the
   * socket's buffer are held whatever its size. A Uint8Array chunk is taken whole by the socket
   * before the next is asked for, so a stream may refill one buffer. Always iterated to its end or
   * closed (`return()`), so a generator's `finally` frees what it holds (a file descriptor) even
   * when the client leaves.
   */
  stream?: AsyncIterable<string | Uint8Array>;
  /**
   * The streamed answer's length in bytes when known (a file): sent as content-length instead of
   * chunked coding. A stream that gives fewer bytes ends the connection (the client sees the answer
   * cut short, not a whole one); of one that gives more, no byte past its length is sent, and the
   * connection ends.
   */
  length?: number;
}

export interface Route {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Default true: the route needs the access token when one is set. */
  auth?: boolean;
  /** A Reply returned (not a Promise) is written at once, in the same turn as the request was read. */
  handle(ctx: RequestContext): Promise<Reply> | Reply;
}

export interface KitOptions {
  /**
   * The module's name, as `blueprint service` takes it: the 401 for a missing token names the
   * command that sets this module's (`blueprint service token vectors`). The name blueprint installed
   * it under (BLUEPRINT_MODULE: a second rag is `rag-fr`) wins when set. Without either, `NAME`.
   */
  name?: string;
  log: KitLog;
  routes: Record<string, Route>;
  /**
   * Paths with parameters (REST APIs such as Qdrant's /collections/{name}/points): consulted when
   * no exact route matches; returns the route for this method and path (it may throw an HttpError,
   * e.g. 405), or undefined for 404.
   */
  match?(method: string, path: string): Route | undefined;
  /** The module's error body for an error on `path` (APIs differ: OpenAI, TEI, …). */
  errorBody(err: HttpError, path: string): unknown;
  /**
   * The admin's token. When set, every route with auth needs `Authorization: Bearer TOKEN`, this
   * one (the client "admin") or a consumer's own (`clientTokens`).
   */
  token?: string;
  /**
   * The file of consumers' own tokens, `NAME TOKEN` lines, that blueprint writes into the module's
   * data folder (./clients.ts); default: $BLUEPRINT_CLIENT_TOKENS_FILE, which blueprint sets. A
   * consumer's token names its client for the fair queue, and opens every route with auth, whether
   * or not the admin set a token.
   */
  clientTokens?: string;
  /**
   * Browser origins let in besides this machine's own pages (./origins.ts): exact origins, comma
   * separated, or `*`; default: $KIT_ORIGINS, the module's setting the admin changes with
   * `blueprint service config NAME KIT_ORIGINS=...`.
   */
  origins?: string;
  /**
   * A header that carries the token bare, looked at when there is no `Authorization: Bearer`
   * (vectors: Qdrant's `api-key`): its token names the client as a Bearer one would. Routes with
   * auth still ask for Bearer's; a route that checks `api-key` itself uses ctx.client.
   */
  tokenHeader?: string;
  /** Checked by /health (e.g. the worker is up); cheap and synchronous. */
  healthy?(): boolean;
  limits?: Partial<KitLimits>;
}

export interface KitServer {
  server: Server;
  limits: KitLimits;
  listen(socketPath: string, mode?: number): Promise<void>;
  /** Stops accepting, lets queued and running requests finish (at most timeoutMs), closes the rest. */
  drain(timeoutMs: number): Promise<void>;
  stats(): {
    connections: number;
    evicted: number;
    queued: number;
    running: number;
    bufferedBytes: number;
    unreadAnswerBytes: number;
  };
}
