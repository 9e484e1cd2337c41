/**
 * The HTTP server every module serves on its unix socket: routes, access token, limits, timeouts,
 * a connection cap, a fair queue for the heavy work, a /health that nothing can block, JSON errors
 * in the module's own shape, rate-limited logging and a graceful drain. See ../README.md.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { chmod, lstat, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ByteBudget, parseJson, readBody } from './body.js';
import { type ConnectionGuard, defaultMaxConnections, guardConnections } from './connections.js';
import { ClientGoneError, HttpError } from './errors.js';
import type { KitLog } from './log.js';
import { FairQueue } from './queue.js';

export interface KitLimits {
  /** Open connections; at the cap an idle one is closed for each new one. Default: nofile - 128. */
  maxConnections: number;
  /** A client must send its request headers within this time (slowloris). */
  headersTimeoutMs: number;
  /** …and its whole request, body included. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** A connection with no traffic (e.g. a client that stopped reading) and no queued work is closed. */
  idleTimeoutMs: number;
  /** Largest request body; over it 413, before reading when Content-Length says so. */
  maxBodyBytes: number;
  /** Request bodies held in memory at once, all requests together; over it 503. */
  maxBufferedBytes: number;
  /** Heavy jobs running at once (the number of workers). */
  concurrency: number;
  /** Heavy jobs waiting, in all; more get 503 + Retry-After. */
  maxQueued: number;
  /** …and per connection (a pipelining client). */
  maxQueuedPerConnection: number;
}

export function defaultLimits(): KitLimits {
  return {
    maxConnections: defaultMaxConnections(),
    headersTimeoutMs: 5_000,
    requestTimeoutMs: 15_000,
    keepAliveTimeoutMs: 5_000,
    idleTimeoutMs: 60_000,
    maxBodyBytes: 4 * 1024 * 1024,
    maxBufferedBytes: 32 * 1024 * 1024,
    concurrency: 1,
    maxQueued: 32,
    maxQueuedPerConnection: 4,
  };
}

export interface RequestContext {
  req: IncomingMessage;
  path: string;
  /** The body as strict-UTF-8 JSON (400 otherwise), within the size limits. */
  json(): Promise<unknown>;
  /** The raw body (e.g. an uploaded file), within the same size limits and budget as json(). */
  bytes(): Promise<Buffer>;
  /** Runs heavy work in its turn in the fair queue (503 when full; rejects if the client leaves). */
  queue<T>(work: () => Promise<T>): Promise<T>;
  /** Aborted when the client closes the connection before its answer. */
  signal: AbortSignal;
}

export interface Reply {
  status?: number;
  /** Sent as JSON; a Uint8Array is sent as is (application/octet-stream unless headers say otherwise). */
  body: unknown;
  headers?: Record<string, string>;
  /**
   * A streamed answer (e.g. server-sent events): written chunk by chunk, waiting for the client to
   * read (backpressure), instead of `body`. Always iterated to its end or closed (`return()`), so a
   * generator's `finally` frees what it holds even when the client leaves.
   */
  stream?: AsyncIterable<string>;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Default true: the route needs the access token when one is set. */
  auth?: boolean;
  handle(ctx: RequestContext): Promise<Reply> | Reply;
}

export interface KitOptions {
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
  /** When set, every route with auth needs `Authorization: Bearer TOKEN`. */
  token?: string;
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
  stats(): { connections: number; evicted: number; queued: number; running: number; bufferedBytes: number };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function authorized(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m !== null && timingSafeEqual(digest(m[1]!), digest(token));
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  if (res.headersSent || res.destroyed) return;
  if (body instanceof Uint8Array) {
    res.writeHead(status, {
      'content-type': 'application/octet-stream',
      'content-length': body.byteLength,
      ...headers,
    });
    return res.end(body);
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

async function writeStream(res: ServerResponse, reply: Reply, signal: AbortSignal, draining: boolean) {
  const it = reply.stream![Symbol.asyncIterator]();
  try {
    if (signal.aborted) throw new ClientGoneError();
    res.writeHead(reply.status ?? 200, { ...reply.headers, ...(draining ? { connection: 'close' } : {}) });
    res.flushHeaders();
    for (;;) {
      const next = await it.next();
      if (next.done) break;
      if (signal.aborted) throw new ClientGoneError();
      if (!res.write(next.value))
        await new Promise<void>((drained) => {
          const done = () => {
            res.off('drain', done);
            signal.removeEventListener('abort', done);
            drained();
          };
          res.on('drain', done);
          signal.addEventListener('abort', done, { once: true });
        });
    }
    res.end();
  } finally {
    await it.return?.();
  }
}

export function createKitServer(opts: KitOptions): KitServer {
  const limits: KitLimits = { ...defaultLimits(), ...opts.limits };
  const { log } = opts;
  const queue = new FairQueue({
    concurrency: limits.concurrency,
    maxQueued: limits.maxQueued,
    maxPerKey: limits.maxQueuedPerConnection,
  });
  const budget = new ByteBudget(limits.maxBufferedBytes);
  let draining = false;

  const server = createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // How often the two timeouts above are checked; Node's default (30 s) would let them run late.
    connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
  });
  const guard: ConnectionGuard = guardConnections(
    server,
    limits.maxConnections,
    limits.headersTimeoutMs,
    (socket) => queue.holds(socket),
    (why) =>
      log.event(
        'connection cap',
        `connection cap ${limits.maxConnections} reached: closed an ${why} connection`,
      ),
  );
  server.setTimeout(limits.idleTimeoutMs, (socket) => {
    // A request waiting for its turn in the queue is silent too: keep it.
    if (!queue.holds(socket)) socket.destroy();
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Malformed requests, header/request timeouts: Node's own 400/408, one log line per kind.
    log.event(`client error ${err.code ?? ''}`, `client error: ${err.code ?? err.message}`);
    // Sockets of an HTTP server are half-open: end() alone would wait for the client to close.
    if (!socket.writable || socket.destroyed) return socket.destroy();
    const status =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? '408 Request Timeout'
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : '400 Bad Request';
    socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () =>
      socket.destroy(),
    );
    setTimeout(() => socket.destroy(), 1000).unref(); // a client that does not read
  });

  async function route(req: IncomingMessage, res: ServerResponse, path: string, signal: AbortSignal) {
    const method = req.method ?? 'GET';
    if (path === '/health') {
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `/health takes GET, not ${method}`);
      const ok = !draining && (opts.healthy?.() ?? true);
      return send(res, ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable' });
    }
    const r = Object.hasOwn(opts.routes, path) ? opts.routes[path] : opts.match?.(method, path);
    if (!r) {
      const known = Object.entries(opts.routes).map(([p, x]) => `${x.method} ${p}`);
      throw new HttpError(404, `no route ${path}; try ${known.join(', ')}`);
    }
    if (method !== r.method) throw new HttpError(405, `${path} takes ${r.method}, not ${method}`);
    if (r.auth !== false && !authorized(req, opts.token))
      throw new HttpError(401, 'missing or wrong access token: send "Authorization: Bearer TOKEN"');
    const charge = { bytes: 0 };
    res.once('close', () => budget.give(charge.bytes));
    const ctx: RequestContext = {
      req,
      path,
      signal,
      json: async () => parseJson(await readBody(req, limits.maxBodyBytes, budget, charge)),
      bytes: () => readBody(req, limits.maxBodyBytes, budget, charge),
      queue: (work) => queue.run(req.socket, work, signal),
    };
    const reply = await r.handle(ctx);
    if (reply.stream) return writeStream(res, reply, signal, draining);
    if (signal.aborted) throw new ClientGoneError();
    send(res, reply.status ?? 200, reply.body, {
      ...reply.headers,
      ...(draining ? { connection: 'close' } : {}),
    });
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const gone = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    route(req, res, path, gone.signal).catch((err: unknown) => {
      if (err instanceof ClientGoneError || gone.signal.aborted) {
        log.event('client gone', `${req.method} ${path}: client closed the connection before the answer`);
        return res.destroy();
      }
      const e =
        err instanceof HttpError
          ? err
          : new HttpError(500, `internal error: ${(err as Error)?.message ?? String(err)}`);
      if (e.status >= 500)
        log.event(`${e.status} ${path}`, `${e.status} ${req.method} ${path}: ${e.message}`);
      if (res.headersSent) return res.destroy();
      const headers: Record<string, string> = { ...e.headers };
      if (e.status === 401) headers['www-authenticate'] = 'Bearer';
      if (e.status === 503 && !headers['retry-after']) headers['retry-after'] = '1';
      // Do not read the rest of a body we refused (or failed on): close after the answer.
      if (e.status === 413 || !req.complete || draining) headers.connection = 'close';
      send(res, e.status, opts.errorBody(e, path), headers);
    });
  });

  return {
    server,
    limits,
    listen: (socketPath, mode) => listenOnSocket(server, socketPath, mode),
    drain: async (timeoutMs) => {
      draining = true;
      const closed = new Promise<void>((r) => server.close(() => r()));
      guard.closeIdle();
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline && (queue.length > 0 || queue.running > 0 || guard.open > 0)) {
        guard.closeIdle();
        await new Promise((r) => setTimeout(r, 50));
      }
      server.closeAllConnections();
      await closed;
    },
    stats: () => ({
      connections: guard.open,
      evicted: guard.evicted,
      queued: queue.length,
      running: queue.running,
      bufferedBytes: budget.used,
    }),
  };
}

/** Listens on a unix socket, replacing a stale socket left by a killed instance. */
export async function listenOnSocket(server: Server, socketPath: string, mode = 0o666): Promise<void> {
  const stale = await lstat(socketPath).catch(() => undefined);
  if (stale?.isSocket()) await unlink(socketPath);
  else if (stale) throw new Error(`${socketPath} exists and is not a socket; refusing to replace it`);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Any local client may connect; the optional token (and the directory's mode) decides who gets answers.
  await chmod(socketPath, mode);
}
