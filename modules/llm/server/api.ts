/**
 * The OpenAI-compatible HTTP API of the llm service on the module server kit: answers and
 * server-sent events; the request checks are request.ts's (every bad input is a 4xx in OpenAI's
 * error shape, never a crash).
 */
import { randomUUID } from 'node:crypto';
import {
  createKitServer,
  HttpError,
  type KitLimits,
  type KitLog,
  type KitServer,
  type Reply,
  type RequestContext,
} from '../../kit/server/index.js';
import { normalised, shortened } from './embed.js';
import {
  base64Of,
  checkOpenAiEmbedFields,
  DEFAULT_EMBED_LIMITS,
  dimensionsOf,
  type EmbedLimits,
  embedInputs,
  embedOn,
} from './embed-api.js';
import type { Engine, Generation, Sampling } from './engine.js';
import { acquire, type RunLabels, runGeneration, streamGeneration, type Work } from './generation-run.js';
import { type Lease, ModelPool } from './model-pool.js';
import { isOllamaPath, MANAGE, type ModelFacts, ollamaError, ollamaRoutes } from './ollama-api.js';
import { bad, checkFields, checkPromptSize, messages, num, type Obj, sampling, text } from './request.js';
import { logRefusal } from './request-log.js';
import { chatChars, chatTools, openAiCalls } from './tools.js';

export interface ApiOptions {
  log: KitLog;
  token?: string;
  limits?: Partial<KitLimits>;
  /** Largest max_tokens a request may ask for. */
  maxTokensCap: number;
  /**
   * Seconds a generation may hold its slot (LLM_GENERATION_TIMEOUT_S); a request may ask for less.
   * Past it the answer ends as a max_tokens one does, marked `timed_out`.
   */
  generationTimeoutS: number;
  /**
   * The most characters of a prompt (or a stop string) tokenised, whatever the context
   * (LLM_MAX_PROMPT_CHARS, default MAX_PROMPT_CHARS); each engine's own bound (its context times
   * at most 16 characters a token) may be lower.
   */
  maxPromptChars?: number;
  /** The start's memory admission, shown by /info (estimate from the GGUF, container limit). */
  memory?: { needBytes: number; limitBytes: number | null };
  /** Each model's signed SHA-256 and file time, by id: Ollama's /api/tags and /api/ps show them. */
  facts?: Record<string, ModelFacts>;
  /** Inputs one embedding request may hold (LLM_MAX_EMBED_INPUTS, LLM_MAX_EMBED_CHARS). */
  embedLimits?: EmbedLimits;
}

export { MAX_PROMPT_CHARS } from './engine.js';

export function openAiError(err: HttpError): unknown {
  const type =
    err.status === 401
      ? 'authentication_error'
      : err.status === 403
        ? 'permission_error'
        : err.status === 404
          ? 'not_found_error'
          : err.status === 503
            ? 'server_busy'
            : err.status >= 500
              ? 'server_error'
              : 'invalid_request_error';
  const code =
    err.message.includes('context') && err.status === 400
      ? 'context_length_exceeded'
      : err.status === 404 && err.param === 'model'
        ? 'model_not_found' // OpenAI's own code for it
        : err.status === 401
          ? 'invalid_api_key' // OpenAI's for a missing or wrong key; its client's error carries it
          : null;
  return { error: { message: err.message, type, param: err.param ?? null, code } };
}

const sse = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;

/**
 * The mark on a choice that its generation was stopped at its deadline, beside finish_reason
 * "length" (OpenAI's own values say only that the answer was cut; this says why). Absent otherwise,
 * so an ordinary answer is OpenAI's shape exactly.
 */
const timedOut = (g: Generation) => (g.timedOut ? { timed_out: true } : {});

type Kind = 'chat' | 'text';

/**
 * `engines`: the models served, the default first (a request without `model` gets it): a pool that
 * loads them on demand (model-pool.ts), or engines already loaded (kept while it serves). A request
 * names one by its id (the model package's folder name) or gets a 404.
 */
export function createApiServer(engines: Engine | Engine[] | ModelPool, opts: ApiOptions): KitServer {
  const pool =
    engines instanceof ModelPool ? engines : ModelPool.of(Array.isArray(engines) ? engines : [engines]);

  /** The model asked for, held (loaded first if it is not) until the lease's release. */
  function pick(body: Obj, waitMs: number): Promise<Lease> {
    return pool.acquire(modelId(body), waitMs);
  }

  /** The id of the model asked for (the default when left out), or a 404 naming those served. */
  function modelId(body: Obj): string {
    if (body.model === undefined || body.model === null) return pool.defaultId;
    if (typeof body.model !== 'string') throw bad("'model' must be a string", 'model');
    // The name asked for is shown cut: an answer as large as its request is held in memory for as
    // long as a client does not read it (100 such 4 MB answers: +565 MiB).
    const asked = body.model.length > 64 ? `${body.model.slice(0, 64)}…` : body.model;
    if (!pool.has(body.model))
      throw new HttpError(
        404,
        `model '${asked}' is not installed; this service serves ${pool
          .ids()
          .map((n) => `'${n}'`)
          .join(', ')}; a model is added ${MANAGE}`,
        'model',
      );
    return body.model;
  }

  /**
   * OpenAI's (llama.cpp server's) /v1/embeddings from the loaded model: normalised vectors, as
   * floats or base64 float32s, in the inputs' order (embed-api.ts).
   */
  async function embeddings(ctx: RequestContext): Promise<Reply> {
    const raw = await ctx.json();
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw bad('the body must be a JSON object');
    const body = raw as Obj;
    checkOpenAiEmbedFields(body);
    if (body.input === undefined || body.input === null) throw bad("'input' is required", 'input');
    const inputs = embedInputs(body.input, 'input', opts.embedLimits ?? DEFAULT_EMBED_LIMITS, {
      tokens: true,
      emptyString: 'refuse',
    });
    if (inputs.length === 0) throw bad("'input' is empty: send at least one text", 'input');
    const dimensions = dimensionsOf(body.dimensions);
    const r = await embedOn(pool, ctx, {
      id: modelId(body),
      inputs,
      truncate: false,
      dimensions,
      timeoutS: opts.generationTimeoutS,
      param: 'input',
    });
    const base64 = body.encoding_format === 'base64';
    return {
      body: {
        object: 'list',
        data: r.vectors.map((v, index) => {
          const vector = shortened(normalised(v), dimensions);
          return { object: 'embedding', index, embedding: base64 ? base64Of(vector) : vector };
        }),
        model: r.model,
        usage: { prompt_tokens: r.tokens, total_tokens: r.tokens },
      },
    };
  }

  function labels(kind: Kind, engine: Engine): RunLabels {
    return {
      path: kind === 'chat' ? '/v1/chat/completions' : '/v1/completions',
      model: engine.info.model,
      promptParam: kind === 'chat' ? 'messages' : 'prompt',
      schemaParam: 'response_format',
    };
  }

  function work(kind: Kind, engine: Engine, body: Obj, s: Sampling): Work {
    return (signal, onText) =>
      kind === 'chat'
        ? engine.chat(messages(body.messages), s, signal, onText)
        : engine.complete(text(body.prompt, 'prompt'), s, signal, onText);
  }

  function usage(g: Generation) {
    return {
      prompt_tokens: g.promptTokens,
      completion_tokens: g.completionTokens,
      total_tokens: g.promptTokens + g.completionTokens,
    };
  }

  function final(kind: Kind, served: string, id: string, created: number, g: Generation) {
    const choice =
      kind === 'chat'
        ? {
            index: 0,
            message: {
              role: 'assistant',
              // As OpenAI answers a call: no content beside it unless the model wrote some.
              content: g.toolCalls && !g.text ? null : g.text,
              refusal: null,
              ...(g.toolCalls ? { tool_calls: openAiCalls(g.toolCalls) } : {}),
            },
            logprobs: null,
            finish_reason: g.finishReason,
            ...timedOut(g),
          }
        : { index: 0, text: g.text, logprobs: null, finish_reason: g.finishReason, ...timedOut(g) };
    return {
      id,
      object: kind === 'chat' ? 'chat.completion' : 'text_completion',
      created,
      model: served,
      choices: [choice],
      usage: usage(g),
    };
  }

  /** The OpenAI stream: server-sent events, the role first, then text, the finish, `[DONE]`. */
  function startStream(
    kind: Kind,
    engine: Engine,
    body: Obj,
    s: Sampling,
    ctx: RequestContext,
    release: () => void,
    id: string,
    created: number,
  ): Promise<AsyncIterable<string>> {
    const object = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
    const served = engine.info.model;
    const chunk = (delta: Obj | string, finish: string | null, extra: Obj = {}) => ({
      id,
      object,
      created,
      model: served,
      choices: [
        kind === 'chat'
          ? { index: 0, delta, logprobs: null, finish_reason: finish, ...extra }
          : { index: 0, text: delta, logprobs: null, finish_reason: finish, ...extra },
      ],
    });
    const includeUsage = (body.stream_options as Obj | undefined)?.include_usage === true;
    const done = 'data: [DONE]\n\n';
    return streamGeneration(opts.log, labels(kind, engine), s, work(kind, engine, body, s), ctx, release, {
      first: kind === 'chat' ? sse(chunk({ role: 'assistant', content: '' }, null)) : undefined,
      text: (t) => sse(chunk(kind === 'chat' ? { content: t } : t, null)),
      end: (g) => [
        // The calls, each whole in one delta (made under a grammar, they are sent once complete).
        ...(g.toolCalls
          ? [sse(chunk({ tool_calls: openAiCalls(g.toolCalls).map((c, index) => ({ index, ...c })) }, null))]
          : []),
        sse(chunk(kind === 'chat' ? {} : '', g.finishReason, timedOut(g))),
        ...(includeUsage ? [sse({ id, object, created, model: served, choices: [], usage: usage(g) })] : []),
        done,
      ],
      error: (e) => sse(openAiError(e)) + done,
    });
  }

  async function generate(kind: Kind, ctx: RequestContext): Promise<Reply> {
    const raw = await ctx.json();
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw bad('the body must be a JSON object');
    const body = raw as Obj;
    checkFields(body, kind);
    const s = sampling(body, opts.maxTokensCap, opts.generationTimeoutS);
    if (kind === 'chat') s.tools = chatTools(body, s);
    // The load waits at most the generation's deadline; the model is held until the answer ends.
    const lease = await pick(body, s.timeoutMs ?? opts.generationTimeoutS * 1000);
    let slot: (() => void) | undefined;
    const release = () => {
      slot?.();
      lease.release();
    };
    try {
      const { engine } = lease;
      // Checked before queueing, so a bad request never waits for a slot.
      const chars =
        kind === 'chat' ? chatChars(messages(body.messages), s.tools) : text(body.prompt, 'prompt').length;
      checkPromptSize(engine, chars, s.stop, opts.maxPromptChars, kind === 'chat' ? 'messages' : 'prompt');
      const n = num(body, 'n', 1, 1, true);
      void n; // only n = 1 is served
      const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID()}`;
      const created = Math.floor(Date.now() / 1000);
      slot = await acquire(ctx);
      if (body.stream === true) {
        const stream = await startStream(kind, engine, body, s, ctx, release, id, created);
        return {
          body: undefined,
          headers: {
            'content-type': 'text/event-stream',
            'cache-control': 'no-store',
            'x-accel-buffering': 'no',
          },
          stream,
        };
      }
      const g = await runGeneration(
        opts.log,
        labels(kind, engine),
        s,
        work(kind, engine, body, s),
        ctx.signal,
      );
      release();
      return { body: final(kind, engine.info.model, id, created, g) };
    } catch (err) {
      // A stream's generation releases at its end; what failed before it began is released here.
      lease.release();
      if (slot && body.stream !== true) slot();
      throw err;
    }
  }

  const ollama = ollamaRoutes(pool, {
    log: opts.log,
    maxTokensCap: opts.maxTokensCap,
    generationTimeoutS: opts.generationTimeoutS,
    maxPromptChars: opts.maxPromptChars,
    facts: opts.facts,
    embedLimits: opts.embedLimits,
  });
  const kit: KitServer = createKitServer({
    name: 'llm',
    log: opts.log,
    token: opts.token,
    // Each engine has `parallel` sequences: at most that many generations run, of any models.
    limits: { concurrency: pool.info(pool.defaultId)?.parallel ?? 1, ...opts.limits },
    errorBody: (err, path) => {
      logRefusal(opts.log, err, path);
      if (!isOllamaPath(path)) return openAiError(err);
      // The kit's 401 names the OpenAI client's apiKey; an Ollama client sends the token as a header.
      const how =
        "(the ollama client's headers option: new Ollama({ headers: { Authorization: 'Bearer TOKEN' } }))";
      return err.status === 401
        ? { error: err.message.replace("(the OpenAI client's apiKey)", how) }
        : ollamaError(err);
    },
    // Ollama's native API on the same socket (ollama-api.ts), and its GET / probe.
    match: ollama.match,
    routes: {
      ...ollama.routes,
      '/v1/chat/completions': { method: 'POST', handle: (ctx) => generate('chat', ctx) },
      '/v1/completions': { method: 'POST', handle: (ctx) => generate('text', ctx) },
      '/v1/embeddings': { method: 'POST', handle: embeddings },
      '/v1/models': {
        method: 'GET',
        handle: () => {
          const loaded = new Map(pool.loaded().map((m) => [m.id, m.expiresAt]));
          return {
            body: {
              object: 'list',
              // Beside OpenAI's fields: whether it is loaded now, and until when if idle (null: kept).
              data: pool.ids().map((id) => ({
                id,
                object: 'model',
                created: 0,
                owned_by: 'local',
                loaded: loaded.has(id),
                ...(loaded.has(id) ? { expires_at: until(loaded.get(id)!) } : {}),
              })),
            },
          };
        },
      },
      '/info': {
        method: 'GET',
        handle: () => {
          const loaded = new Map(pool.loaded().map((m) => [m.id, m.expiresAt]));
          return {
            body: {
              ...pool.info(pool.defaultId),
              // The generation slots now, as llama.cpp's server says (slots processing, requests
              // deferred): a client waiting long is explained by `generating` = `parallel` and a
              // queue behind. /info is answered outside the queue, so a full one does not hide it.
              generating: kit.stats().running,
              waiting: kit.stats().queued,
              // Each model: what it said of itself when last loaded, whether it is loaded now and
              // until when (an ISO time; null: kept while the service runs).
              models: pool.ids().map((id) => ({
                id,
                ...pool.info(id),
                loaded: loaded.has(id),
                ...(loaded.has(id) ? { expiresAt: until(loaded.get(id)!) } : {}),
              })),
              ...(opts.memory ? { memory: opts.memory } : {}),
            },
          };
        },
      },
    },
  });
  return kit;
}

/** When an idle model unloads, as an ISO time; null when it is kept. */
const until = (at: number) => (Number.isFinite(at) ? new Date(at).toISOString() : null);
