/**
 * Calls to the modules rag uses (embeddings, vectors, llm), each over the unix socket the wiring
 * mounted (`BLUEPRINT_USES_NAME_SOCKET`) with its token file (`BLUEPRINT_USES_NAME_TOKEN_FILE`),
 * see docs/module-wiring.md. Every call has a deadline; a module that cannot be reached or that
 * answers 5xx becomes a 503 naming it, so a client knows which service to look at.
 */
import { readFileSync } from 'node:fs';
import { Agent, type IncomingMessage, request } from 'node:http';
import { UnixHttpClient, UnixHttpError } from '../../kit/client/unix-http.js';
import { HttpError } from '../../kit/server/index.js';
import { CLIENT_IDLE_MS } from '../../kit/server/keep-alive.js';

export type UpstreamName = 'embeddings' | 'vectors' | 'llm';

export interface UpstreamConfig {
  name: UpstreamName;
  /** The module playing the role, by its name on the box (RAG_EMBEDDINGS_MODULE…; default the role's). */
  module?: string;
  socket: string;
  tokenFile?: string;
  /** Deadline of one call (connect to the end of the answer; for a stream, to its first byte). */
  timeoutMs: number;
}

/**
 * The socket and token file of the module playing role `name`, from the variables the wiring sets
 * for it. The module is the one named like the role unless `RAG_EMBEDDINGS_MODULE` (…_VECTORS_,
 * …_LLM_) names another that the manifest `uses` (a variant package built on `embeddings-bge`).
 */
export function upstreamFromEnv(name: UpstreamName, timeoutMs: number, env = process.env): UpstreamConfig {
  const module = env[`RAG_${name.toUpperCase()}_MODULE`] || name;
  const key = module.toUpperCase().replaceAll('-', '_');
  const socket = env[`BLUEPRINT_USES_${key}_SOCKET`];
  if (!socket)
    throw new Error(
      `BLUEPRINT_USES_${key}_SOCKET is not set: the manifest must declare "${module}" in "uses" (docs/module-wiring.md)`,
    );
  return { name, module, socket, tokenFile: env[`BLUEPRINT_USES_${key}_TOKEN_FILE`] || undefined, timeoutMs };
}

/** A used module's error answer (4xx), kept with its status so the caller can pass it on. */
export class UpstreamError extends HttpError {
  readonly upstream: UpstreamName;
  readonly body: unknown;
  constructor(upstream: UpstreamName, status: number, message: string, body: unknown) {
    const param = (body as { error?: { param?: unknown } })?.error?.param;
    super(status, message, typeof param === 'string' ? param : undefined);
    this.upstream = upstream;
    this.body = body;
  }
}

/**
 * A used module that cannot be reached or answered nonsense: 503 naming it, retry in 5 s. By its name
 * on the box (`module`, when not the role's: its role beside the reason), which the commands take.
 */
export const unavailable = (name: UpstreamName, why: string, module: string = name) =>
  new HttpError(
    503,
    `the ${module} module is unavailable (${module === name ? '' : `${name}: `}${why}); check it with: blueprint service status ${module}`,
    undefined,
    { 'retry-after': '5' },
  );

/** The message inside the error shapes the three modules use (OpenAI, TEI, Qdrant). */
function messageOf(body: unknown): string {
  const b = body as Record<string, unknown> | undefined;
  if (typeof b?.error === 'string') return b.error;
  const e = b?.error as { message?: unknown } | undefined;
  if (typeof e?.message === 'string') return e.message;
  const s = b?.status as { error?: unknown } | undefined;
  if (typeof s?.error === 'string') return s.error;
  return typeof body === 'string' ? body.slice(0, 200) : JSON.stringify(body).slice(0, 200);
}

export class Upstream {
  readonly name: UpstreamName;
  readonly config: UpstreamConfig;
  /**
   * The llm's streams' connections (node:http: the kit's client reads whole answers, not streams),
   * kept alive between chat turns CLIENT_IDLE_MS, just under the kit's keep-alive on the module's
   * side, as the JSON calls' below. node:http's agent applies `timeout` to a socket in its free list
   * only: a stream whose llm pauses between tokens is not cut by it (a slow CPU, a long prompt's
   * prefill; test/rag/llm-stream-pause.test.ts), a stream is bounded by rag's own deadlines (the
   * first byte within the call's timeoutMs, then RAG_LLM_TIMEOUT_MS between events: chat.ts). At
   * 2 s, each chat turn paid a new connection to llm.
   */
  private readonly agent = new Agent({ keepAlive: true, timeout: CLIENT_IDLE_MS, maxSockets: 16 });
  /**
   * The JSON calls (a retrieval's embedding and search, ingest's batches) go through the kit's lean
   * client instead: node:http's client machinery was most of rag's CPU a retrieval, run cold
   * between queries (modules/rag/README.md, Figures). Streams (llm chat) stay on node:http.
   */
  private readonly client: UnixHttpClient;
  constructor(config: UpstreamConfig) {
    this.config = config;
    this.name = config.name;
    // Idle connections kept the kit client's default, CLIENT_IDLE_MS (58 s), just under the kit's
    // 60 s keep-alive on the module's side (counted there from its answer's end, which comes before
    // ours; a close it makes first drops ours, and a request that meets one is sent again, see
    // exchange()): at 2 s, then 4 s (under the kit's former 5 s), a user asking every few seconds
    // paid a new connection on each hop (the search ~1.5 ms more, rag's CPU ~0.5 ms: README,
    // Figures, forty-fourth session).
    this.client = new UnixHttpClient({ socketPath: config.socket });
  }

  /**
   * The token, read from its file once and kept: the wiring writes the file before rag's container
   * is created and never while it runs (src/core/services/wiring.ts), so reading it at every call
   * (an open, a read and a close on each of a retrieval's two hops) bought nothing. A 401 reads it
   * again (see open()), so a token that does change is still picked up.
   */
  private cachedToken?: { value: string | undefined };
  private token(fresh = false): string | undefined {
    if (!this.config.tokenFile) return undefined;
    if (this.cachedToken && !fresh) return this.cachedToken.value;
    let value: string | undefined;
    try {
      value = readFileSync(this.config.tokenFile, 'utf8').trim() || undefined;
    } catch {
      value = undefined;
    }
    this.cachedToken = { value };
    return value;
  }

  /**
   * Starts a request; resolves with the response head (the body still to read). A 401 answered to
   * the token we keep reads the file again and, when it holds another token now, asks once more.
   */
  async open(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
    timeoutMs = this.config.timeoutMs,
  ): Promise<IncomingMessage> {
    const sent = this.token();
    const res = await this.send(method, path, body, sent, signal, timeoutMs);
    if (res.statusCode !== 401 || !this.config.tokenFile) return res;
    const now = this.token(true);
    if (now === sent) return res;
    res.resume(); // the refusal's body: read and dropped, so the connection can be kept
    return this.send(method, path, body, now, signal, timeoutMs);
  }

  private send(
    method: string,
    path: string,
    body: unknown,
    token: string | undefined,
    signal: AbortSignal | undefined,
    timeoutMs: number,
  ): Promise<IncomingMessage> {
    // The JSON as a string: Node writes the head and a string body in one write (a Buffer body
    // went out as a second piece of a writev), and no copy of the text is made first.
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const attempt = (again: boolean): Promise<IncomingMessage> =>
      new Promise((resolve, reject) => {
        const req = request({
          agent: this.agent,
          socketPath: this.config.socket,
          method,
          path,
          headers: {
            host: this.name,
            ...(payload !== undefined
              ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
              : {}),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          signal,
        });
        const timer = setTimeout(() => {
          req.destroy();
          reject(
            unavailable(this.name, `no answer within ${Math.round(timeoutMs / 1000)} s`, this.config.module),
          );
        }, timeoutMs);
        req.once('response', (res) => {
          clearTimeout(timer);
          resolve(res);
        });
        req.once('error', (err: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          if (signal?.aborted) return reject(err);
          // A kept-alive connection the module closed (idle) as we wrote: send once more on a new
          // one. Every call rag makes is safe to repeat (embeddings, searches, upserts of fixed
          // point ids, deletes by filter, a chat the llm did not start).
          if (again && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE'))
            return resolve(attempt(false));
          reject(
            unavailable(
              this.name,
              err.code ? `${err.code} on ${this.config.socket}` : err.message,
              this.config.module,
            ),
          );
        });
        req.end(payload);
      });
    return attempt(true);
  }

  /** A JSON call: 2xx → the parsed body; 4xx → UpstreamError; 5xx or unreachable → 503. */
  async call<T>(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
    extra?: Record<string, string>,
  ): Promise<T> {
    // The JSON as a string: head and body go out in one write, and no copy of the text is made.
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const deadline = performance.now() + this.config.timeoutMs;
    const sent = this.token();
    let res = await this.exchange(method, path, payload, sent, signal, deadline, extra);
    if (res.status === 401 && this.config.tokenFile) {
      // As open(): a 401 to the token we kept reads the file again, and asks once more if it changed.
      const now = this.token(true);
      if (now !== sent) res = await this.exchange(method, path, payload, now, signal, deadline, extra);
    }
    const text = res.body.toString('utf8');
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    const status = res.status;
    if (status >= 200 && status < 300) return parsed as T;
    if (status >= 500 || status === 401)
      // 401: our token file and the module's token disagree; the admin must fix that, not the client.
      throw unavailable(this.name, `it answered ${status}: ${messageOf(parsed)}`, this.config.module);
    throw new UpstreamError(this.name, status, `${this.name}: ${messageOf(parsed)}`, parsed);
  }

  private async exchange(
    method: string,
    path: string,
    payload: string | undefined,
    token: string | undefined,
    signal: AbortSignal | undefined,
    deadline: number,
    extra: Record<string, string> | undefined,
  ) {
    const headers: Record<string, string> = extra ? { ...extra } : {};
    if (payload !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    try {
      return await this.client.request({
        method,
        path,
        headers,
        body: payload,
        timeoutMs: Math.max(1, deadline - performance.now()),
        signal,
        // Every call rag makes is safe to repeat (embeddings, searches, upserts of fixed point ids,
        // deletes by filter): one that met a kept-alive connection the module had closed is sent again.
        retry: true,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      if (err instanceof UnixHttpError && err.code === 'ETIMEDOUT')
        throw unavailable(
          this.name,
          `no answer within ${Math.round(this.config.timeoutMs / 1000)} s`,
          this.config.module,
        );
      if (err instanceof UnixHttpError && err.code === 'EPROTO')
        throw unavailable(this.name, `it answered nonsense: ${err.message}`, this.config.module);
      const code = (err as { code?: unknown }).code;
      throw unavailable(
        this.name,
        typeof code === 'string' ? `${code} on ${this.config.socket}` : String(err),
        this.config.module,
      );
    }
  }
}

/** The rest of a response body, within `ms`. */
export function readAll(
  res: IncomingMessage,
  ms: number,
  name: UpstreamName,
  module: string = name,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(
      () => {
        res.destroy();
        reject(unavailable(name, 'its answer did not finish in time', module));
      },
      Math.max(ms, 1),
    );
    res.on('data', (c: Buffer) => chunks.push(c));
    res.once('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    res.once('error', (err) => {
      clearTimeout(timer);
      reject(unavailable(name, `the connection broke: ${err.message}`, module));
    });
  });
}
