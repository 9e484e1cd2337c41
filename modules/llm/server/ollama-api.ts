/**
 * Ollama's native API on the llm service's socket, beside the OpenAI one (api.ts): the same token,
 * limits, fair queue and engines. /api/chat and /api/generate stream NDJSON (one JSON object a line)
 * unless `stream: false`; /api/tags, /api/ps, /api/show and /api/version describe what is served;
 * GET and HEAD / answer "Ollama is running", what clients probe. Errors are Ollama's
 * `{"error": "..."}`. Routes that change models answer what to do on the box instead.
 * The request checks are ollama-request.ts's (mapped onto request.ts's); a generation runs as the
 * OpenAI path's does (generation-run.ts).
 */
import { HttpError, type KitLog, type RequestContext, type Route } from '../../kit/server/index.js';
import { normalised, shortened } from './embed.js';
import { DEFAULT_EMBED_LIMITS, dimensionsOf, type EmbedLimits, embedInputs, embedOn } from './embed-api.js';
import { ContextOverflowError, type Generation } from './engine.js';
import type { EngineInfo, ToolCall } from './engine-types.js';
import { acquire, type RunLabels, runGeneration, streamGeneration, type Work } from './generation-run.js';
import { keepAliveMs, type Lease, type ModelPool } from './model-pool.js';
import { type OllamaKind, ollamaAsk } from './ollama-request.js';
import { bad, checkPromptSize, type Obj } from './request.js';
import { ollamaCalls } from './tools.js';

/**
 * The version /api/version reports: the Ollama API release whose docs/api.md these routes follow
 * (clients compare it to decide what a server can do), not this module's own version.
 */
export const OLLAMA_API_VERSION = '0.6.0';

/** What the service knows of a model's file beyond the engine: its signed SHA-256 and its time. */
export interface ModelFacts {
  digest?: string;
  modifiedAt?: string;
  /** The GGUF's size in bytes: /api/tags shows it for a model not loaded yet. */
  sizeBytes?: number;
}

export interface OllamaOptions {
  log: KitLog;
  maxTokensCap: number;
  generationTimeoutS: number;
  maxPromptChars?: number;
  /** By model id (the engine's info.model). */
  facts?: Record<string, ModelFacts>;
  /** Inputs one embedding request may hold (embed-api.ts). */
  embedLimits?: EmbedLimits;
}

/** Paths answered in Ollama's error shape. */
export const isOllamaPath = (path: string) => path === '/' || path.startsWith('/api/');

export const ollamaError = (err: HttpError) => ({ error: err.message });

/** A model kept loaded while the service runs (keep_alive negative): shown as the furthest date. */
const NEVER = '9999-12-31T23:59:59Z';
const LATEST = ':latest';

/** How models are added and removed here (no hub, no /api/pull): both APIs' 404 and 403 say it. */
export const MANAGE =
  'on the box: `blueprint model import FILE.gguf --name NAME` adds a model (a GGUF brought on a stick; there is no model hub here), `blueprint model rm NAME` removes one, then `blueprint service restart llm`';

/** Ollama's human parameter count: 7.6B, 494.03M. */
function parameterSize(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(2)}K`;
  return String(n);
}

const ns = (ms: number) => Math.max(0, Math.round(ms * 1e6));
const line = (v: unknown) => `${JSON.stringify(v)}\n`;

export function ollamaRoutes(
  pool: ModelPool,
  opts: OllamaOptions,
): { routes: Record<string, Route>; match(method: string, path: string): Route | undefined } {
  const served = () =>
    pool
      .ids()
      .map((n) => `'${n}${LATEST}'`)
      .join(', ');

  /** A model as Ollama's clients name it: `tiny`, `tiny:latest`; the name asked is echoed back. */
  function find(name: unknown, field = 'model'): { id: string; asked: string } {
    if (name === undefined || name === null || name === '')
      throw bad(`'${field}' is required: this service serves ${served()} (GET /api/tags lists them)`, field);
    if (typeof name !== 'string') throw bad(`'${field}' must be a string`, field);
    const bare = name.endsWith(LATEST) ? name.slice(0, -LATEST.length) : name;
    // Cut: an answer as large as its request is held for as long as a client does not read it.
    const asked = name.length > 64 ? `${name.slice(0, 64)}…` : name;
    if (!pool.has(bare))
      throw new HttpError(
        404,
        `model '${asked}' not found: this service serves ${served()}; a model is added ${MANAGE}`,
        field,
      );
    return { id: bare, asked };
  }

  /** What the model said of itself when it was loaded; a model never loaded yet shows blanks. */
  function details(info: Partial<EngineInfo> | undefined) {
    const family = info?.architecture ?? '';
    return {
      parent_model: '',
      format: 'gguf',
      family,
      families: family ? [family] : [],
      parameter_size: info?.parameters ? parameterSize(info.parameters) : '',
      quantization_level: info?.quantisation ?? '',
    };
  }

  function described(model: string) {
    const id = `${model}${LATEST}`;
    const f = opts.facts?.[model] ?? {};
    const info = pool.info(model);
    return {
      name: id,
      model: id,
      modified_at: f.modifiedAt ?? new Date(0).toISOString(),
      size: info?.sizeBytes ?? f.sizeBytes ?? 0,
      digest: f.digest ?? '',
      details: details(info),
    };
  }

  /**
   * Ollama's /api/show: the loaded engine's own account, else the GGUF's header read at start
   * (the model is not loaded to be described, as Ollama reads the file).
   */
  function show(id: string) {
    const e = pool.loaded().find((m) => m.id === id)?.engine;
    const h = pool.header(id);
    const info: Partial<EngineInfo> = e?.info ?? pool.info(id) ?? {};
    const template = e ? e.template : h?.template;
    const arch = info.architecture ?? '';
    const ctx = info.contextLength;
    return {
      modelfile: `# served by BlueprintOS llm from the model package model-${id}\nFROM ${id}\n${ctx ? `PARAMETER num_ctx ${ctx}\n` : ''}`,
      parameters: ctx ? `num_ctx                        ${ctx}` : '',
      template: template ?? '',
      details: details(info),
      model_info: {
        'general.architecture': arch,
        'general.parameter_count': info.parameters ?? 0,
        [`${arch}.context_length`]: info.trainedContextLength ?? 0,
      },
      // Every model calls tools: node-llama-cpp's chat wrapper documents them (tools.ts).
      capabilities: ['completion', 'tools'],
      modified_at: described(id).modified_at,
    };
  }

  async function body(ctx: RequestContext): Promise<Obj> {
    const raw = await ctx.json();
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw bad('the body must be a JSON object');
    return raw as Obj;
  }

  /** The request's keep_alive in milliseconds; none: the pool's default. */
  function keepOf(b: Obj): number | undefined {
    const keep = b.keep_alive === undefined || b.keep_alive === null ? undefined : keepAliveMs(b.keep_alive);
    if (keep === undefined && b.keep_alive !== undefined && b.keep_alive !== null)
      throw bad(
        `'keep_alive' must be a duration ("5m", "1h", "0") or a number of seconds (negative: kept loaded)`,
        'keep_alive',
      );
    return keep;
  }

  /**
   * /api/embed (`input`, L2-normalised vectors) and the older /api/embeddings (`prompt`, the raw
   * vector; an empty one loads the model), from the loaded model as Ollama serves them (embed-api.ts).
   */
  async function embed(legacy: boolean, ctx: RequestContext) {
    const began = performance.now();
    const b = await body(ctx);
    const { id, asked } = find(b.model);
    const keep = keepOf(b);
    if (
      b.options !== undefined &&
      b.options !== null &&
      (typeof b.options !== 'object' || Array.isArray(b.options))
    )
      throw bad("'options' must be an object", 'options');
    if (b.truncate !== undefined && b.truncate !== null && typeof b.truncate !== 'boolean')
      throw bad("'truncate' must be a boolean", 'truncate');
    const limits = opts.embedLimits ?? DEFAULT_EMBED_LIMITS;
    const param = legacy ? 'prompt' : 'input';
    const raw = legacy ? (b.prompt ?? '') : (b.input ?? '');
    if (legacy && typeof raw !== 'string') throw bad("'prompt' must be a string", 'prompt');
    const inputs = embedInputs(raw, param, limits, { tokens: false, emptyString: 'none' });
    const dimensions = legacy ? undefined : dimensionsOf(b.dimensions);
    const r = await embedOn(pool, ctx, {
      id,
      inputs,
      truncate: legacy || b.truncate !== false,
      dimensions,
      keep,
      timeoutS: opts.generationTimeoutS,
      param,
    });
    if (legacy) return { body: { embedding: r.vectors[0] ?? [] } };
    return {
      body: {
        model: asked,
        embeddings: r.vectors.map((v) => shortened(normalised(v), dimensions)),
        total_duration: ns(performance.now() - began),
        load_duration: ns(r.loadMs),
        prompt_eval_count: r.tokens,
      },
    };
  }

  async function generate(kind: OllamaKind, ctx: RequestContext) {
    const began = performance.now();
    const b = await body(ctx);
    const { id, asked } = find(b.model);
    const keep = keepOf(b);
    // Checked with the service's context first, so a bad request loads nothing.
    ollamaAsk(kind, b, Number.MAX_SAFE_INTEGER, opts.maxTokensCap, opts.generationTimeoutS);
    const timeoutS = typeof b.generation_timeout_s === 'number' ? b.generation_timeout_s : Infinity;
    // The model's load waits at most the generation's deadline (model-pool.ts).
    const lease = await pool.acquire(id, Math.min(timeoutS, opts.generationTimeoutS) * 1000);
    try {
      return await generateOn(kind, ctx, b, lease, asked, began, keep);
    } catch (err) {
      lease.release(keep);
      throw err;
    }
  }

  async function generateOn(
    kind: OllamaKind,
    ctx: RequestContext,
    b: Obj,
    lease: Lease,
    asked: string,
    began: number,
    keep: number | undefined,
  ) {
    const { engine } = lease;
    const ask = ollamaAsk(kind, b, engine.info.contextLength, opts.maxTokensCap, opts.generationTimeoutS);
    const head = () => ({ model: asked, created_at: new Date().toISOString() });
    const piece = (t: string, done: boolean, calls?: ToolCall[]) =>
      kind === 'chat'
        ? { ...head(), message: { role: 'assistant', content: t, ...ollamaCalls(calls) }, done }
        : { ...head(), response: t, done };
    // Ollama's "load the model" call: loaded above, then kept for its keep_alive (0: unloaded).
    if (ask.load) {
      lease.release(keep);
      return { body: { ...piece('', true), done_reason: keep === 0 ? 'unload' : 'load' } };
    }
    const param = kind === 'chat' ? 'messages' : 'prompt';
    // Checked before queueing, so a bad request never waits for a slot.
    checkPromptSize(engine, ask.chars, ask.sampling.stop, opts.maxPromptChars, param);
    const s = ask.sampling;
    const labels: RunLabels = {
      path: `/api/${kind}`,
      model: engine.info.model,
      promptParam: param,
      schemaParam: 'format',
    };
    let slot = 0;
    let first: number | undefined;
    const work: Work = (signal, onText) => {
      slot = performance.now();
      const seen = (t: string) => {
        first ??= performance.now();
        onText?.(t);
      };
      const run = ask.messages
        ? engine.chat(ask.messages, s, signal, seen)
        : engine.complete(ask.prompt!, s, signal, seen);
      // A prompt past the context, from a client that asked for a larger one: say which to raise.
      return run.catch((err: unknown) => {
        if (err instanceof ContextOverflowError && ask.askedContext !== undefined)
          throw new ContextOverflowError(
            `${err.message} (set when it starts, LLM_CONTEXT; options.num_ctx ${ask.askedContext} cannot change it): send less, or raise LLM_CONTEXT`,
          );
        throw err;
      });
    };
    if (ask.askedContext !== undefined)
      opts.log.event(
        'num_ctx',
        `${labels.path}: options.num_ctx ${ask.askedContext} asked; served with this service's context of ${engine.info.contextLength} tokens (LLM_CONTEXT)`,
      );
    // The done object's figures: the prompt's evaluation is the time to the first text.
    const done = (g: Generation, text: string, calls: ToolCall[] | undefined) => {
      const end = performance.now();
      const firstAt = first ?? end;
      return {
        ...piece(text, true, calls),
        // Ollama ends an answer that called tools with "stop".
        done_reason: g.finishReason === 'tool_calls' ? 'stop' : g.finishReason,
        ...(g.timedOut ? { timed_out: true } : {}),
        total_duration: ns(end - began),
        load_duration: ns(lease.loadMs),
        prompt_eval_count: g.promptTokens,
        prompt_eval_duration: ns(firstAt - slot),
        eval_count: g.completionTokens,
        eval_duration: ns(end - firstAt),
      };
    };
    const held = await acquire(ctx);
    const release = () => {
      held();
      lease.release(keep);
    };
    if (ask.stream)
      return {
        body: undefined,
        headers: {
          'content-type': 'application/x-ndjson',
          'cache-control': 'no-store',
          'x-accel-buffering': 'no',
        },
        stream: await streamGeneration(opts.log, labels, s, work, ctx, release, {
          text: (t) => line(piece(t, false)),
          // As Ollama streams them: the calls in a part of their own, then the done part.
          end: (g) => [
            ...(g.toolCalls ? [line(piece('', false, g.toolCalls))] : []),
            line(done(g, '', undefined)),
          ],
          error: (e) => line(ollamaError(e)),
        }),
      };
    try {
      const g = await runGeneration(opts.log, labels, s, work, ctx.signal);
      return { body: done(g, g.text, g.toolCalls) };
    } finally {
      release();
    }
  }

  const refuse = (status: number, message: string) => () => {
    throw new HttpError(status, message);
  };
  const change = (what: string) => refuse(403, `${what} is not done through this API here; ${MANAGE}`);

  const routes: Record<string, Route> = {
    '/api/version': { method: 'GET', handle: () => ({ body: { version: OLLAMA_API_VERSION } }) },
    '/api/tags': { method: 'GET', handle: () => ({ body: { models: pool.ids().map(described) } }) },
    // The models loaded now, each with when it unloads if idle (Ollama's).
    '/api/ps': {
      method: 'GET',
      handle: () => ({
        body: {
          models: pool.loaded().map(({ id, engine: e, expiresAt }) => ({
            ...described(id),
            expires_at: Number.isFinite(expiresAt) ? new Date(expiresAt).toISOString() : NEVER,
            size_vram: e.info.gpuLayers > 0 ? e.info.sizeBytes : 0,
            context_length: e.info.contextLength,
          })),
        },
      }),
    },
    '/api/show': {
      method: 'POST',
      handle: async (ctx) => {
        const b = await body(ctx);
        // `name` is the older clients' field.
        const { id } = find(
          b.model ?? b.name,
          b.model === undefined && b.name !== undefined ? 'name' : 'model',
        );
        // Described without loading it: the engine's account if loaded, else its GGUF's header.
        return { body: show(id) };
      },
    },
    '/api/chat': { method: 'POST', handle: (ctx) => generate('chat', ctx) },
    '/api/generate': { method: 'POST', handle: (ctx) => generate('generate', ctx) },
    '/api/pull': { method: 'POST', handle: change('pulling a model') },
    '/api/push': { method: 'POST', handle: change('pushing a model') },
    '/api/create': { method: 'POST', handle: change('creating a model') },
    '/api/copy': { method: 'POST', handle: change('copying a model') },
    '/api/delete': { method: 'DELETE', handle: change('deleting a model') },
    '/api/embed': { method: 'POST', handle: (ctx) => embed(false, ctx) },
    '/api/embeddings': { method: 'POST', handle: (ctx) => embed(true, ctx) },
  };

  const running = new TextEncoder().encode('Ollama is running');
  return {
    routes,
    match(method, path) {
      if (path === '/') {
        if (method !== 'GET' && method !== 'HEAD')
          throw new HttpError(405, `/ takes GET or HEAD, not ${method}`);
        // What Ollama's clients probe, as /health: no token needed, nothing told but that it runs.
        return {
          method: method as 'GET' | 'HEAD',
          auth: false,
          handle: () => ({ body: running, headers: { 'content-type': 'text/plain; charset=utf-8' } }),
        };
      }
      if (path.startsWith('/api/blobs/'))
        return { method: method as Route['method'], handle: change('uploading a model file') };
      return undefined;
    },
  };
}
