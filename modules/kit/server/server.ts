/**
 * The HTTP server every module serves on its unix socket: routes, access token, limits, timeouts,
 * a connection cap, a fair queue for the heavy work, a /health that nothing can block, JSON errors
 * in the module's own shape, rate-limited logging and a graceful drain. HTTP/1.1 itself is
 * ./wire.ts and ./request-parser.ts on node:net (why: ../README.md, "The server"). See ../README.md.
 * What a module writes against (routes, replies, options) is ./server-types.ts; a request's context ./context.ts.
 */
import { createServer } from 'node:net';
import { headerLines, reason } from './answer-head.js';
import { ByteBudget } from './body.js';
import { BodyRecheckedContext } from './body-recheck.js';
import { browserRefusal, corsHeaders, preflightHeaders } from './browser-guard.js';
import { CLIENT_TOKENS_ENV, ClientNames, MODULE_NAME } from './clients.js';
import { ConnectionGuard } from './connections.js';
import { Context } from './context.js';
import { ClientGoneError, diskFull, HttpError, isDiskFull } from './errors.js';
import type { Exchange } from './exchange.js';
import { defaultLimits, type KitLimits } from './limits.js';
import { listenOnSocket } from './listen.js';
import { allowedOrigins, ORIGINS_ENV } from './origins.js';
import { FairQueue } from './queue.js';
import type { KitOptions, KitServer, Reply } from './server-types.js';
import { UnreadAnswers } from './unread.js';
import { Conn } from './wire.js';
import type { WireHost } from './wire-host.js';

export type { KitRequest } from './exchange.js';
export { defaultLimits, type KitLimits } from './limits.js';
export { listenOnSocket } from './listen.js';
export type { KitOptions, KitServer, Reply, RequestContext, Route } from './server-types.js';

/**
 * blueprint tells a module the name it is installed under (BLUEPRINT_MODULE,
 * src/core/services/policy.ts MODULE_ENV): a second rag is `rag-fr`, and `blueprint service token
 * rag` would set another service's token. A value that is not a module name (a module run by hand
 * with anything in its environment) is not echoed into answers: the module's own name then.
 */
const INSTALLED_AS_ENV = 'BLUEPRINT_MODULE';
function installedName(own: string | undefined): string | undefined {
  const told = process.env[INSTALLED_AS_ENV];
  return told !== undefined && MODULE_NAME.test(told) ? told : own;
}

export function createKitServer(opts: KitOptions): KitServer {
  const limits: KitLimits = { ...defaultLimits(), ...opts.limits };
  const { log } = opts;
  const queue = new FairQueue({
    concurrency: limits.concurrency,
    maxQueued: limits.maxQueued,
    maxPerKey: limits.maxQueuedPerConnection,
  });
  const budget = new ByteBudget(limits.maxBufferedBytes, (body) => {
    const ex = body as Exchange;
    log.event(
      'body room',
      `request bodies over ${limits.maxBufferedBytes} bytes: refused ${ex.method} ${ex.url}'s to make room for another client's`,
    );
    ex.conn.refuseBody(ex);
  });
  const answers = new UnreadAnswers(limits.maxUnreadAnswerBytes, (bytes, idleMs) =>
    log.event(
      'unread answers',
      `unread answers over ${limits.maxUnreadAnswerBytes} bytes: closed a connection whose client took none of its ${bytes} for ${idleMs} ms`,
    ),
  );
  const keepAliveS = Math.max(1, Math.floor(limits.keepAliveTimeoutMs / 1000));
  let draining = false;

  const guard = new ConnectionGuard<Conn>(limits.maxConnections, (why) =>
    log.event(
      'connection cap',
      `connection cap ${limits.maxConnections} reached: closed an ${why} connection`,
    ),
  );

  const clients = new ClientNames(opts.token, opts.clientTokens ?? process.env[CLIENT_TOKENS_ENV]);
  // The origins the admin lets in (KIT_ORIGINS), said once; an entry blueprint would have refused
  // (not an exact origin) is left out and said.
  const origins = allowedOrigins(opts.origins ?? process.env[ORIGINS_ENV]);
  // The name the commands in our answers take: the one blueprint installed this module under.
  const serviceName = installedName(opts.name) ?? 'NAME';
  if (origins.all)
    log.startup(`${ORIGINS_ENV}=*: pages of every site may call this service (their Host is still judged)`);
  else if (origins.exact.size)
    log.startup(`${ORIGINS_ENV}: pages of ${[...origins.exact].join(', ')} may call this service`);
  if (origins.ignored.length)
    log.startup(
      `${ORIGINS_ENV}: not exact origins, left out: ${origins.ignored.map((o) => JSON.stringify(o)).join(', ')}`,
    );

  /** An answer to this machine's own page (./browser-guard.ts) says it may read it. */
  const withCors = (ex: Exchange, headers?: Record<string, string>) => {
    const cors = ex.headers.origin === undefined ? undefined : corsHeaders(ex.headers, origins);
    return cors ? { ...headers, ...cors } : headers;
  };

  /** A whole answer: JSON text or bytes, its head and body written together. */
  function write(
    ex: Exchange,
    status: number,
    payload: string | Uint8Array,
    type: string,
    headers?: Record<string, string>,
  ) {
    const close = draining || !ex.keepAlive || !ex.complete || status === 413;
    const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
    const head =
      `HTTP/1.1 ${status} ${reason(status)}\r\n${headerLines(withCors(ex, headers), type, close, keepAliveS)}` +
      (status === 204 ? '\r\n' : `content-length: ${length}\r\n\r\n`);
    ex.conn.answer(ex, head, ex.method === 'HEAD' ? '' : payload, close);
  }

  function send(ex: Exchange, status: number, body: unknown, headers?: Record<string, string>) {
    if (body instanceof Uint8Array) write(ex, status, body, 'application/octet-stream', headers);
    else write(ex, status, JSON.stringify(body) ?? '', 'application/json', headers);
  }

  async function writeStream(ex: Exchange, reply: Reply) {
    const it = reply.stream![Symbol.asyncIterator]();
    const conn = ex.conn;
    try {
      await conn.turn(ex);
      if (ex.gone) throw new ClientGoneError();
      const length = reply.length;
      // HTTP/1.0 has no chunked coding: without a length the end of the answer is the connection's close.
      const chunked = length === undefined && ex.httpVersion === '1.1';
      const close = draining || !ex.keepAlive || !ex.complete || (length === undefined && !chunked);
      conn.write(
        ex,
        `HTTP/1.1 ${reply.status ?? 200} ${reason(reply.status ?? 200)}\r\n` +
          `${headerLines(withCors(ex, reply.headers), undefined, close, keepAliveS)}` +
          `${length !== undefined ? `content-length: ${length}\r\n` : chunked ? 'transfer-encoding: chunked\r\n' : ''}\r\n`,
      );
      let sent = 0;
      for (;;) {
        const next = await it.next();
        if (next.done) break;
        // The socket, not only ex.gone: a write to a socket already destroyed (a client gone, a
        // connection closed for unread answers) calls back at once, before its 'close' is seen, so
        // a stream that yields without waiting on I/O spun here forever, /health unanswered.
        if (ex.gone || conn.socket.destroyed) throw new ClientGoneError();
        const data = next.value;
        const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
        if (size === 0) continue; // an empty chunk would end a chunked answer
        sent += size;
        if (length !== undefined && sent > length)
          throw new Error(`the streamed answer is longer than its ${length} bytes`);
        if (typeof data !== 'string') {
          // Bytes: taken whole by the socket before the next chunk is asked for (the stream may
          // refill one buffer), which is also the backpressure.
          if (chunked) conn.write(ex, `${size.toString(16)}\r\n`);
          await conn.writeAll(ex, data);
          if (chunked) conn.write(ex, '\r\n');
          continue;
        }
        const ok = conn.write(ex, chunked ? `${size.toString(16)}\r\n${data}\r\n` : data);
        if (!ok) await conn.wait(ex);
      }
      if (length !== undefined && sent !== length)
        throw new Error(`the streamed answer ended after ${sent} of its ${length} bytes`);
      if (chunked) conn.write(ex, '0\r\n\r\n');
      conn.end(ex, close);
    } finally {
      await it.return?.();
    }
  }

  /** Who the request's token names (once: at its head when a body follows, else here). */
  function name(ex: Exchange): void {
    ex.client = tokenName(ex);
    ex.named = true;
  }
  function tokenName(ex: Exchange): string | undefined {
    const bare = opts.tokenHeader === undefined ? undefined : ex.headers[opts.tokenHeader];
    return clients.of(ex.headers.authorization, typeof bare === 'string' ? bare : undefined);
  }
  const refusedToken = () =>
    new HttpError(
      401,
      `missing or wrong access token: send "Authorization: Bearer TOKEN" (the OpenAI client's apiKey), TOKEN the one \`blueprint service token ${serviceName}\` printed on the box`,
    );

  /** Routes a request; a handler's Reply that is not a Promise is written before this returns. */
  function route(ex: Exchange, path: string): Promise<void> | undefined {
    const method = ex.method;
    if (path === '/health') {
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `/health takes GET, not ${method}`);
      const ok = !draining && (opts.healthy?.() ?? true);
      send(ex, ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable' });
      return;
    }
    // A web page of another site, through a port forwarded to this socket (./browser-guard.ts).
    const refused = browserRefusal(ex.headers, origins);
    if (refused) throw refused;
    // This machine's own page asking first (a JSON POST, a token): answered here, for every route.
    const preflight = method === 'OPTIONS' ? preflightHeaders(ex.headers, origins) : undefined;
    if (preflight) {
      write(ex, 204, '', 'text/plain', preflight);
      return;
    }
    const r = Object.hasOwn(opts.routes, path) ? opts.routes[path] : opts.match?.(method, path);
    if (!r) {
      const known = Object.entries(opts.routes).map(([p, x]) => `${x.method} ${p}`);
      throw new HttpError(404, `no route ${path}; try ${known.join(', ')}`);
    }
    if (method !== r.method) throw new HttpError(405, `${path} takes ${r.method}, not ${method}`);
    if (!ex.named) name(ex);
    const client = ex.client;
    // Without an admin token anyone may call (as before consumer tokens): no token, or one not
    // known, is the client "anonymous" in the queue.
    if (r.auth !== false && clients.adminSet && client === undefined) throw refusedToken();
    // Its answers' unread bytes are this client's (./unread.ts).
    ex.conn.client = client;
    // A consumer's token, revoked while its body arrives or while its job waits in the queue, is
    // refused when the body is in and when the job's turn comes; on a route that checks the token
    // itself too (vectors' own 401 and its data's owner go by ctx.client). Without an admin token
    // anyone may call: nothing to refuse.
    const check =
      client !== undefined && client !== 'admin' && clients.adminSet
        ? recheck(ex, client, clients.generation())
        : undefined;
    const reply = r.handle(
      check && !ex.complete
        ? new BodyRecheckedContext(ex, path, queue, client, check)
        : new Context(ex, path, queue, client, check),
    );
    if (reply instanceof Promise) return reply.then((rep: Reply) => answer(ex, rep));
    return answer(ex, reply);
  }

  /** The token table changed since `generation`: the request's token named again, else as it was. */
  function recheck(ex: Exchange, client: string | undefined, generation: number) {
    return () => {
      if (clients.generation() !== generation && tokenName(ex) !== client) throw refusedToken();
    };
  }

  function answer(ex: Exchange, reply: Reply): Promise<void> | undefined {
    if (reply.stream) return writeStream(ex, reply);
    if (ex.gone) throw new ClientGoneError();
    if (reply.json !== undefined)
      write(ex, reply.status ?? 200, reply.json, 'application/json', reply.headers);
    else send(ex, reply.status ?? 200, reply.body, reply.headers);
  }

  function failed(ex: Exchange, path: string, err: unknown) {
    if (err instanceof ClientGoneError || ex.gone) {
      const when = ex.started ? 'during the answer' : 'before the answer';
      log.event('client gone', `${ex.method} ${path}: client closed the connection ${when}`);
      return ex.conn.destroy();
    }
    const e =
      err instanceof HttpError
        ? err
        : isDiskFull(err)
          ? diskFull(err)
          : new HttpError(500, `internal error: ${(err as Error)?.message ?? String(err)}`);
    if (e.status >= 500) log.event(`${e.status} ${path}`, `${e.status} ${ex.method} ${path}: ${e.message}`);
    if (ex.started) return ex.conn.abort(); // an answer half written cannot be replaced
    const headers: Record<string, string> = { ...e.headers };
    if (e.status === 401) headers['www-authenticate'] = 'Bearer';
    if (e.status === 503 && !headers['retry-after']) headers['retry-after'] = '1';
    try {
      send(ex, e.status, opts.errorBody(e, path), headers);
    } catch (again) {
      send(ex, 500, opts.errorBody(new HttpError(500, `internal error: ${(again as Error).message}`), path));
    }
  }

  const host: WireHost = {
    maxBodyBytes: limits.maxBodyBytes,
    maxBodyText: `request body over ${limits.maxBodyBytes} bytes${
      limits.maxBodySetting
        ? `; the admin raises the limit with \`blueprint service config ${serviceName} ${limits.maxBodySetting}=BYTES\``
        : ''
    }`,
    maxHeaderBytes: limits.maxHeaderBytes,
    maxHeaders: limits.maxHeaders,
    budget,
    answers,
    name,
    dispatch(ex) {
      const q = ex.url.indexOf('?');
      const path = q < 0 ? ex.url : ex.url.slice(0, q);
      try {
        route(ex, path)?.catch((err: unknown) => failed(ex, path, err));
      } catch (err) {
        failed(ex, path, err);
      }
    },
    touched: (conn) => guard.touch(conn),
    closed: (conn) => guard.remove(conn),
    holdsWork: (socket) => queue.holds(socket),
    clientError(status, message) {
      // Malformed requests, header/request timeouts: Node's own 400/408/431, one log line per kind.
      log.event(`client error ${status}`, `client error: ${status} ${message}`);
    },
  };

  // allowHalfOpen: our side stays open until the answers are written and flushed (Conn.close).
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    const conn = new Conn(socket, host);
    if (!guard.add(conn)) socket.destroy();
  });

  // The timeouts, checked every second (at most) for every connection, instead of a timer each.
  const sweepMs = Math.min(1000, limits.headersTimeoutMs);
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const conn of guard.all()) {
      if (conn.dead) continue;
      if (conn.midMessage) {
        const limit = conn.inHead ? limits.headersTimeoutMs : limits.requestTimeoutMs;
        if (now - conn.messageStart > limit) conn.timedOut();
      } else if (conn.requests === 0) {
        // A connection that never sent a request gets the head timeout; one kept alive, its own.
        const limit = conn.served === 0 ? limits.headersTimeoutMs : limits.keepAliveTimeoutMs;
        if (now - conn.messageStart > limit) conn.destroy();
      }
      // No traffic either way (a client that stopped reading), and no work queued or held: closed.
      if (now - conn.lastActive > limits.idleTimeoutMs && !conn.holdsWork()) conn.destroy();
    }
  }, sweepMs);
  sweep.unref();
  server.on('close', () => clearInterval(sweep));

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
      for (const conn of guard.all()) conn.destroy();
      await closed;
    },
    stats: () => ({
      connections: guard.open,
      evicted: guard.evicted,
      queued: queue.length,
      running: queue.running,
      bufferedBytes: budget.used,
      unreadAnswerBytes: answers.used,
    }),
  };
}
