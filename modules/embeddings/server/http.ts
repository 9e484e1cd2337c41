import { createHash, timingSafeEqual } from 'node:crypto';
import { chmod, lstat, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  ApiError,
  infoResponse,
  type Limits,
  openAiError,
  openAiResponse,
  parseOpenAi,
  parseTei,
  teiError,
  teiResponse,
} from './api.js';
import { type Engine, InputTooLongError } from './engine.js';

export interface ServerOptions extends Limits {
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Requests allowed to wait for the model while one runs; more get 503. */
  maxQueue: number;
  /** When set, every route but /health needs `Authorization: Bearer TOKEN`. */
  token?: string;
  log(line: string): void;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function readBody(req: IncomingMessage, max: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) return reject(new ApiError(413, `request body over ${max} bytes`));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Stop keeping it; the 413 goes out with `connection: close`, which ends the upload.
      if (size > max) reject(new ApiError(413, `request body over ${max} bytes`));
      else chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (err) {
        reject(new ApiError(400, `the request body is not valid JSON: ${(err as Error).message}`));
      }
    });
    req.on('error', reject);
  });
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function authorized(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m !== null && timingSafeEqual(digest(m[1]!), digest(token));
}

/** One inference at a time: ONNX Runtime already uses every core for one batch. */
export function serialQueue(maxWaiting: number) {
  let tail: Promise<unknown> = Promise.resolve();
  let waiting = 0;
  return async <T>(job: () => Promise<T>): Promise<T> => {
    if (waiting >= maxWaiting)
      throw new ApiError(503, `busy: ${waiting} requests are already waiting; retry shortly`);
    waiting++;
    const run = tail.then(job, job);
    tail = run.catch(() => undefined);
    try {
      return await run;
    } finally {
      waiting--;
    }
  };
}

/** The HTTP API (see README): routes, auth, limits; every failure becomes a JSON error, never a crash. */
export function createApiServer(engine: Engine, opts: ServerOptions): Server {
  const enqueue = serialQueue(opts.maxQueue);
  const { info } = engine;

  async function embed(texts: string[], options: Parameters<Engine['embed']>[1]) {
    try {
      return await enqueue(() => engine.embed(texts, options));
    } catch (err) {
      if (err instanceof InputTooLongError) {
        throw new ApiError(413, `${err.message}; send shorter text or set "truncate": true`, 'inputs');
      }
      throw err;
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    const routes: Record<string, string> = {
      '/health': 'GET',
      '/info': 'GET',
      '/v1/embeddings': 'POST',
      '/embed': 'POST',
    };
    const allowed = routes[path];
    if (!allowed)
      throw new ApiError(404, `no route ${path}; try POST /v1/embeddings, POST /embed, GET /info`);
    if (method !== allowed) throw new ApiError(405, `${path} takes ${allowed}, not ${method}`);
    if (path === '/health') return send(res, 200, { status: 'ok' });
    if (!authorized(req, opts.token)) {
      throw new ApiError(401, 'missing or wrong access token: send "Authorization: Bearer TOKEN"');
    }
    if (path === '/info') return send(res, 200, infoResponse(info, opts));
    const body = await readBody(req, opts.maxBodyBytes);
    if (path === '/embed') {
      const parsed = parseTei(body, opts);
      return send(res, 200, teiResponse(await embed(parsed.texts, parsed.options)));
    }
    const parsed = parseOpenAi(body, opts, info);
    return send(res, 200, openAiResponse(parsed, await embed(parsed.texts, parsed.options), info));
  }

  return createServer({ requestTimeout: 120_000 }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    route(req, res, path).catch((err: unknown) => {
      const apiErr =
        err instanceof ApiError
          ? err
          : new ApiError(500, `internal error: ${(err as Error)?.message ?? String(err)}`);
      if (apiErr.status >= 500) opts.log(`${req.method} ${path}: ${apiErr.message}`);
      const headers: Record<string, string> = apiErr.status === 401 ? { 'www-authenticate': 'Bearer' } : {};
      if (apiErr.status === 503) headers['retry-after'] = '1';
      if (res.headersSent) return res.destroy();
      // Do not read the rest of a body we refused: close the connection after the answer.
      if (apiErr.status === 413) headers.connection = 'close';
      send(res, apiErr.status, path === '/embed' ? teiError(apiErr) : openAiError(apiErr), headers);
    });
  });
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
