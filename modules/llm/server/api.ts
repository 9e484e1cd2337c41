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
import {
  ContextOverflowError,
  type Engine,
  type Generation,
  MAX_PROMPT_CHARS,
  type Sampling,
  SchemaError,
  TemplateError,
} from './engine.js';
import { bad, checkFields, messages, num, type Obj, sampling, text } from './request.js';
import { logAnswer, logClientLeft, logRefusal } from './request-log.js';
import { channel, startedOrCleaned } from './stream-parts.js';

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
}

export { MAX_PROMPT_CHARS } from './engine.js';

export function openAiError(err: HttpError): unknown {
  const type =
    err.status === 401
      ? 'authentication_error'
      : err.status === 404
        ? 'not_found_error'
        : err.status === 503
          ? 'server_busy'
          : err.status >= 500
            ? 'server_error'
            : 'invalid_request_error';
  const code = err.message.includes('context') && err.status === 400 ? 'context_length_exceeded' : null;
  return { error: { message: err.message, type, param: err.param ?? null, code } };
}

/** Holds a slot of the kit's fair queue until release() (a stream keeps it until its last event). */
function acquire(ctx: RequestContext): Promise<() => void> {
  return new Promise((got, fail) => {
    ctx.queue(() => new Promise<void>((release) => got(release))).catch(fail);
  });
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
 * `engines`: the models served, the default first (a request without `model` gets it). Every one is
 * loaded at start; a request names one by its id (the model package's folder name) or gets a 404.
 */
export function createApiServer(engines: Engine | Engine[], opts: ApiOptions): KitServer {
  const list = Array.isArray(engines) ? engines : [engines];
  const fallback = list[0]!;
  const byName = new Map(list.map((e) => [e.info.model, e]));

  function pick(body: Obj): Engine {
    if (body.model === undefined || body.model === null) return fallback;
    if (typeof body.model !== 'string') throw bad("'model' must be a string", 'model');
    const engine = byName.get(body.model);
    // The name asked for is shown cut: an answer as large as its request is held in memory for as
    // long as a client does not read it (100 such 4 MB answers: +565 MiB).
    const asked = body.model.length > 64 ? `${body.model.slice(0, 64)}…` : body.model;
    if (!engine)
      throw new HttpError(
        404,
        `model '${asked}' is not installed; this service serves ${[...byName.keys()].map((n) => `'${n}'`).join(', ')}`,
        'model',
      );
    return engine;
  }

  function run(
    kind: Kind,
    engine: Engine,
    body: Obj,
    s: Sampling,
    signal: AbortSignal,
    onText?: (t: string) => void,
  ) {
    const path = kind === 'chat' ? '/v1/chat/completions' : '/v1/completions';
    const started = performance.now();
    const work =
      kind === 'chat'
        ? engine.chat(messages(body.messages), s, signal, onText)
        : engine.complete(text(body.prompt, 'prompt'), s, signal, onText);
    return work.then(
      (g) => {
        if (g.timedOut)
          opts.log.event(
            'generation deadline',
            `${path}: generation stopped at its deadline (${(s.timeoutMs ?? 0) / 1000} s) after ${g.completionTokens} tokens`,
          );
        logAnswer(opts.log, path, engine.info.model, g, started);
        return g;
      },
      (err: unknown) => {
        if (signal.aborted) logClientLeft(opts.log, path, engine.info.model);
        if (err instanceof ContextOverflowError)
          throw bad(err.message, kind === 'chat' ? 'messages' : 'prompt');
        if (err instanceof SchemaError) throw bad(err.message, 'response_format');
        if (err instanceof TemplateError) throw bad(err.message, 'messages');
        throw err;
      },
    );
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
            message: { role: 'assistant', content: g.text, refusal: null },
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

  /**
   * Starts a streamed generation and waits for its first text (or its end) before any header is
   * sent, so a request refused by the engine (context overflow, a schema the grammar builder
   * cannot take) is still a plain 400, not an error event inside a 200 stream.
   */
  async function startStream(
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
    const text = (t: string) => sse(chunk(kind === 'chat' ? { content: t } : t, null));
    const includeUsage = (body.stream_options as Obj | undefined)?.include_usage === true;
    const abort = new AbortController();
    const onGone = () => abort.abort();
    ctx.signal.addEventListener('abort', onGone, { once: true });
    const ch = channel();
    let result: Generation | undefined;
    let failure: unknown;
    const done = run(kind, engine, body, s, abort.signal, (t) => ch.push(t)).then(
      (g) => {
        result = g;
      },
      (err: unknown) => {
        failure = err;
      },
    );
    // The slot is the generation's, not the connection's: freed once the generation ends, not
    // once its last event is written. A client that stops reading then holds only its text (at
    // most max_tokens, in `ch`), and the kit's idle sweep closes its connection (one that holds
    // work is spared, so a held slot kept a stalled stream, and every other generation, waiting).
    void done.then(release);
    let cleaned: Promise<void> | undefined;
    // The client left (or the stream ended): stop generating (which frees the slot). Once.
    const cleanup = () =>
      (cleaned ??= (async () => {
        abort.abort();
        ctx.signal.removeEventListener('abort', onGone);
        await done;
      })());
    await ch.wait(done);
    if (failure) {
      await cleanup();
      throw failure;
    }
    async function* events() {
      try {
        if (kind === 'chat') yield sse(chunk({ role: 'assistant', content: '' }, null));
        for (;;) {
          // Text that arrived while the last event was written goes out as one event: fewer
          // writes when the engine is faster than the socket (any chunking is valid SSE).
          const t = ch.take().join('');
          if (t) yield text(t);
          if (result || failure) break;
          await ch.wait(done);
        }
        const rest = ch.take().join('');
        if (rest) yield text(rest);
        if (failure) {
          const e =
            failure instanceof HttpError
              ? failure
              : new HttpError(500, `internal error: ${(failure as Error).message}`);
          opts.log.event(`stream error ${e.status}`, `${ctx.path}: error during a stream: ${e.message}`);
          yield sse(openAiError(e));
        } else if (result) {
          yield sse(chunk(kind === 'chat' ? {} : '', result.finishReason, timedOut(result)));
          if (includeUsage)
            yield sse({ id, object, created, model: served, choices: [], usage: usage(result) });
        }
        yield 'data: [DONE]\n\n';
      } finally {
        await cleanup();
      }
    }
    return startedOrCleaned(events(), cleanup);
  }

  async function generate(kind: Kind, ctx: RequestContext): Promise<Reply> {
    const raw = await ctx.json();
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw bad('the body must be a JSON object');
    const body = raw as Obj;
    checkFields(body, kind);
    const engine = pick(body);
    const s = sampling(body, opts.maxTokensCap, opts.generationTimeoutS);
    // Checked before queueing, so a bad request never waits for a slot.
    const chars =
      kind === 'chat'
        ? messages(body.messages).reduce((n, m) => n + m.content.length, 0)
        : text(body.prompt, 'prompt').length;
    // node-llama-cpp sets up its stop detector on the event loop, per character (1.5 s for four
    // stops of 1,000,000): a stop longer than the context can hold could never match anyway.
    const cap = opts.maxPromptChars ?? MAX_PROMPT_CHARS;
    const stopCap = Math.min(engine.maxPromptChars, cap);
    if (s.stop.some((stop) => stop.length > stopCap))
      throw bad(
        `'stop' strings may be at most ${stopCap} characters: ${stopCap < cap ? "no longer text fits this model's context" : 'no longer one is tokenised (LLM_MAX_PROMPT_CHARS)'}`,
        'stop',
      );
    // Before any tokenising (on the event loop, quadratic for some text): see maxPromptChars.
    if (chars > engine.maxPromptChars)
      throw bad(
        `the prompt is ${chars} characters; this model's context of ${engine.info.contextLength} tokens holds at most ${engine.maxPromptChars} (${engine.maxPromptChars / engine.info.contextLength} characters a token; a longer prompt is refused before it is tokenised)`,
        kind === 'chat' ? 'messages' : 'prompt',
      );
    // Within the context's bound but past the service's: a 413 saying what to do.
    if (chars > cap)
      throw new HttpError(
        413,
        `the prompt is ${chars} characters; this service tokenises at most ${cap} characters of a prompt (on its event loop, where a longer one would keep every other client waiting): send a shorter prompt, or raise LLM_MAX_PROMPT_CHARS`,
        kind === 'chat' ? 'messages' : 'prompt',
      );
    const n = num(body, 'n', 1, 1, true);
    void n; // only n = 1 is served
    const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const release = await acquire(ctx);
    if (body.stream === true) {
      return {
        body: undefined,
        headers: {
          'content-type': 'text/event-stream',
          'cache-control': 'no-store',
          'x-accel-buffering': 'no',
        },
        stream: await startStream(kind, engine, body, s, ctx, release, id, created),
      };
    }
    try {
      return {
        body: final(kind, engine.info.model, id, created, await run(kind, engine, body, s, ctx.signal)),
      };
    } finally {
      release();
    }
  }

  const kit: KitServer = createKitServer({
    name: 'llm',
    log: opts.log,
    token: opts.token,
    // Each engine has `parallel` sequences: at most that many generations run, of any models.
    limits: { concurrency: fallback.info.parallel, ...opts.limits },
    errorBody: (err, path) => {
      logRefusal(opts.log, err, path);
      return openAiError(err);
    },
    routes: {
      '/v1/chat/completions': { method: 'POST', handle: (ctx) => generate('chat', ctx) },
      '/v1/completions': { method: 'POST', handle: (ctx) => generate('text', ctx) },
      '/v1/models': {
        method: 'GET',
        handle: () => ({
          body: {
            object: 'list',
            data: list.map(({ info: { model: id } }) => ({
              id,
              object: 'model',
              created: 0,
              owned_by: 'local',
            })),
          },
        }),
      },
      '/info': {
        method: 'GET',
        handle: () => ({
          body: {
            ...fallback.info,
            // The generation slots now, as llama.cpp's server says (slots processing, requests
            // deferred): a client waiting long is explained by `generating` = `parallel` and a
            // queue behind. /info is answered outside the queue, so a full one does not hide it.
            generating: kit.stats().running,
            waiting: kit.stats().queued,
            models: list.map((e) => ({ id: e.info.model, ...e.info })),
            ...(opts.memory ? { memory: opts.memory } : {}),
          },
        }),
      },
    },
  });
  return kit;
}
