/**
 * The embeddings HTTP API (see ../README.md) on the module server kit (modules/kit): the kit brings
 * the socket, limits, timeouts, connection cap, fair queue and logging; this file the routes and
 * the two APIs' error shapes.
 */
import {
  createKitServer,
  type KitLimits,
  type KitLog,
  type KitServer,
  listenOnSocket,
} from '../../kit/server/index.js';
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

export { listenOnSocket };

export interface ServerOptions extends Limits {
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Requests allowed to wait for the model while one runs; more get 503. */
  maxQueue: number;
  /** When set, every route but /health needs `Authorization: Bearer TOKEN`. */
  token?: string;
  log: KitLog;
  /** The kit's other limits (connections, timeouts, per-connection queue, buffered bytes). */
  limits?: Partial<KitLimits>;
  /** /health answers 503 when this says no (the inference worker is restarting). */
  healthy?(): boolean;
}

/** The HTTP API: routes, auth, limits; every failure becomes a JSON error, never a crash. */
export function createApiServer(engine: Engine, opts: ServerOptions): KitServer {
  const { info } = engine;

  async function embed(
    queue: <T>(work: () => Promise<T>) => Promise<T>,
    texts: string[],
    options: Parameters<Engine['embed']>[1],
  ) {
    try {
      return await queue(() => engine.embed(texts, options));
    } catch (err) {
      if (err instanceof InputTooLongError) {
        throw new ApiError(413, `${err.message}; send shorter text or set "truncate": true`, 'inputs');
      }
      throw err;
    }
  }

  return createKitServer({
    name: 'embeddings',
    log: opts.log,
    token: opts.token,
    healthy: opts.healthy,
    limits: { maxBodyBytes: opts.maxBodyBytes, maxQueued: opts.maxQueue, ...opts.limits },
    errorBody: (err, path) => (path === '/embed' ? teiError(err) : openAiError(err)),
    routes: {
      '/info': { method: 'GET', handle: () => ({ body: infoResponse(info, opts) }) },
      // What OpenAI-compatible tools ask first (Open WebUI, model pickers): the one model served.
      '/v1/models': {
        method: 'GET',
        handle: () => ({
          body: {
            object: 'list',
            data: [{ id: info.model, object: 'model', created: 0, owned_by: 'local' }],
          },
        }),
      },
      '/v1/embeddings': {
        method: 'POST',
        handle: async (ctx) => {
          const parsed = parseOpenAi(await ctx.json(), opts, info);
          const out = await embed(ctx.queue, parsed.texts, parsed.options);
          return { json: openAiResponse(parsed, out, info) };
        },
      },
      '/embed': {
        method: 'POST',
        handle: async (ctx) => {
          const parsed = parseTei(await ctx.json(), opts);
          return { body: teiResponse(await embed(ctx.queue, parsed.texts, parsed.options)) };
        },
      },
    },
  });
}
