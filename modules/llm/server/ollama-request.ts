/**
 * The checks on a request body of the llm service's Ollama-native API (/api/chat, /api/generate):
 * Ollama's fields mapped onto what the OpenAI path checks already (request.ts's sampling, messages,
 * schema bounds), each bad or unserved field a 400 naming it as Ollama's clients send it
 * (`options.top_k`, `format`), before the request waits for a slot.
 */
import { HttpError } from '../../kit/server/index.js';
import type { ChatMessage, Sampling } from './engine.js';
import { bad, checkSchema, messages, num, type Obj, repeatPenalty, sampling, text } from './request.js';
import { chatChars, chatTools } from './tools.js';

export type OllamaKind = 'chat' | 'generate';

/** Top-level fields served, each route's own. */
const FIELDS: Record<OllamaKind, Set<string>> = {
  chat: new Set([
    'model',
    'messages',
    'format',
    'options',
    'stream',
    'keep_alive',
    'tools',
    'tool_choice',
    'think',
  ]),
  generate: new Set([
    'model',
    'prompt',
    'system',
    'raw',
    'format',
    'options',
    'stream',
    'keep_alive',
    'images',
    'suffix',
    'think',
  ]),
};
/** This service's own field (README: Generation deadline), on both APIs. */
const OWN = 'generation_timeout_s';

const none = (v: unknown) => v === null || v === undefined;
const emptyList = (v: unknown) => none(v) || (Array.isArray(v) && v.length === 0);

const TEXT_ONLY = "this service's models take text only (no images)";

/** Top-level fields not served: accepted only at the value that asks for nothing. */
const UNSERVED: Record<string, { neutral: (v: unknown) => boolean; why: string }> = {
  images: { neutral: emptyList, why: TEXT_ONLY },
  suffix: { neutral: (v) => none(v) || v === '', why: 'this service does not insert text (suffix)' },
  think: { neutral: (v) => none(v) || v === false, why: 'this service does not separate a thinking part' },
  template: { neutral: none, why: "the chat template is the model package's own" },
  context: { neutral: emptyList, why: 'send the conversation as /api/chat messages instead' },
};

/**
 * The options served. `num_ctx` cannot change the context, fixed at start (LLM_CONTEXT): a larger one
 * is served with it, as Ollama serves one past a model's trained context with that (clients send
 * 8,192 by default); nothing is ever cut to fit, so a prompt past it is a 400 that names num_ctx.
 */
const SERVED_OPTIONS = [
  'temperature',
  'top_p',
  'top_k',
  'seed',
  'num_predict',
  'stop',
  'num_ctx',
  'repeat_penalty',
  'repeat_last_n',
  'presence_penalty',
  'frequency_penalty',
  'penalize_newline',
];
/** Ollama's default repeat_last_n: the answer's last 64 tokens. */
export const OLLAMA_REPEAT_LAST_N = 64;
const RUNTIME = 'set for the whole service when it starts (LLM_THREADS, LLM_GPU_LAYERS), not by a request';
/** Ollama's other options: each accepted at the value that changes nothing, else refused, saying why. */
const NEUTRAL_OPTIONS: Record<string, { neutral: (v: unknown) => boolean; why: string }> = {
  mirostat: { neutral: (v) => v === 0, why: 'this service samples without mirostat' },
  mirostat_tau: { neutral: () => false, why: 'this service samples without mirostat' },
  mirostat_eta: { neutral: () => false, why: 'this service samples without mirostat' },
  min_p: { neutral: (v) => v === 0, why: 'this service samples with temperature, top_p and top_k only' },
  typical_p: { neutral: (v) => v === 1, why: 'this service samples with temperature, top_p and top_k only' },
  tfs_z: { neutral: (v) => v === 1, why: 'this service samples with temperature, top_p and top_k only' },
  num_keep: { neutral: () => false, why: 'this service never cuts a conversation to fit' },
  num_thread: { neutral: () => false, why: RUNTIME },
  num_gpu: { neutral: () => false, why: RUNTIME },
  main_gpu: { neutral: () => false, why: RUNTIME },
  num_batch: { neutral: () => false, why: RUNTIME },
  low_vram: { neutral: (v) => v === false, why: RUNTIME },
  numa: { neutral: (v) => v === false, why: RUNTIME },
  use_mmap: { neutral: () => false, why: RUNTIME },
  use_mlock: { neutral: (v) => v === false, why: RUNTIME },
  vocab_only: { neutral: (v) => v === false, why: RUNTIME },
};

/** Ollama's default temperature (a model's Modelfile may set another; these models have none). */
export const OLLAMA_TEMPERATURE = 0.8;

export interface OllamaAsk {
  /** The chat's messages, or the prompt of /api/generate as it is (`raw`) or as one user turn. */
  messages?: ChatMessage[];
  prompt?: string;
  /** No prompt, no messages: Ollama's "load the model" call, answered with done_reason "load". */
  load: boolean;
  sampling: Sampling;
  stream: boolean;
  /** Characters of the prompt, for the size checks before tokenising. */
  chars: number;
  /** options.num_ctx when it is more than the service's context (served with that). */
  askedContext?: number;
}

const shown = (key: string) => (key.length > 64 ? `${key.slice(0, 64)}…` : key);

function checkFields(body: Obj, kind: OllamaKind): void {
  for (const [key, v] of Object.entries(body)) {
    if (key === OWN) continue;
    const u = Object.hasOwn(UNSERVED, key) ? UNSERVED[key] : undefined;
    if (u && !u.neutral(v)) throw bad(`'${key}' is not supported: ${u.why}; leave it out`, key);
    if (u || FIELDS[kind].has(key)) continue;
    throw bad(
      `'${shown(key)}' is not a field of /api/${kind} here; this service serves ${[...FIELDS[kind]].join(', ')}: leave it out`,
      shown(key),
    );
  }
  if (!none(body.stream) && typeof body.stream !== 'boolean')
    throw bad("'stream' must be a boolean", 'stream');
  const ka = body.keep_alive;
  if (!none(ka) && typeof ka !== 'string' && typeof ka !== 'number')
    throw bad('\'keep_alive\' must be a duration ("5m") or a number of seconds', 'keep_alive');
}

/**
 * The options as OpenAI's names, for request.ts's sampling(): its checks and ranges, its errors
 * then renamed to the option the client sent.
 */
function samplingOf(body: Obj, cap: number, timeoutCapS: number, contextLength: number): Sampling {
  const o = body.options ?? {};
  if (typeof o !== 'object' || Array.isArray(o)) throw bad("'options' must be an object", 'options');
  const opts = o as Obj;
  for (const [key, v] of Object.entries(opts)) {
    if (none(v) || SERVED_OPTIONS.includes(key)) continue;
    const n = Object.hasOwn(NEUTRAL_OPTIONS, key) ? NEUTRAL_OPTIONS[key] : undefined;
    if (n?.neutral(v)) continue;
    throw bad(
      n
        ? `'options.${key}' is not supported: ${n.why}; leave it out`
        : `'options.${shown(key)}' is not an option here; this service serves ${SERVED_OPTIONS.join(', ')}: leave it out`,
      `options.${shown(key)}`,
    );
  }
  // num_predict: -1 (no limit) and -2 (fill the context) are the context's room, as no max_tokens.
  const predict = opts.num_predict;
  const seed = opts.seed;
  const mapped: Obj = {
    temperature: opts.temperature ?? OLLAMA_TEMPERATURE,
    top_p: opts.top_p,
    seed: seed === -1 ? undefined : seed,
    stop: opts.stop,
    max_tokens: predict === -1 || predict === -2 ? undefined : predict,
    frequency_penalty: opts.frequency_penalty,
    presence_penalty: opts.presence_penalty,
    generation_timeout_s: body[OWN],
  };
  const names: Record<string, string> = {
    temperature: 'options.temperature',
    top_p: 'options.top_p',
    seed: 'options.seed',
    stop: 'options.stop',
    max_tokens: 'options.num_predict',
    frequency_penalty: 'options.frequency_penalty',
    presence_penalty: 'options.presence_penalty',
  };
  let s: Sampling;
  try {
    s = sampling(mapped, cap, timeoutCapS);
  } catch (err) {
    const param = err instanceof HttpError ? err.param : undefined;
    if (param === undefined) throw err;
    const name = names[param] ?? (param.startsWith('stop[') ? `options.${param}` : undefined);
    if (!name) throw err;
    throw bad((err as HttpError).message.replaceAll(`'${param}'`, `'${name}'`), name);
  }
  s.topK = num(opts, 'top_k', 1, 100_000, true);
  s.repeat = repeatOf(opts, s, contextLength);
  return s;
}

/**
 * Ollama's repeat_penalty (more than 0; 1 is none), over the last repeat_last_n tokens (-1: the
 * context, 0: none, at most the context), with presence_penalty and frequency_penalty as
 * sampling() checked them.
 */
function repeatOf(opts: Obj, s: Sampling, contextLength: number) {
  const p = opts.repeat_penalty;
  if (!none(p) && (typeof p !== 'number' || !Number.isFinite(p) || p <= 0))
    throw bad(
      "'options.repeat_penalty' must be a number more than 0 (1: no penalty)",
      'options.repeat_penalty',
    );
  const n = opts.repeat_last_n;
  if (!none(n) && (typeof n !== 'number' || !Number.isInteger(n) || n < -1 || n > contextLength))
    throw bad(
      `'options.repeat_last_n' must be an integer from -1 (the context) to the context of ${contextLength} tokens (0: no penalty)`,
      'options.repeat_last_n',
    );
  const nl = opts.penalize_newline;
  if (!none(nl) && typeof nl !== 'boolean')
    throw bad("'options.penalize_newline' must be a boolean", 'options.penalize_newline');
  return repeatPenalty({
    penalty: none(p) ? undefined : (p as number),
    frequency: s.repeat?.frequencyPenalty,
    presence: s.repeat?.presencePenalty,
    lastTokens: none(n) ? OLLAMA_REPEAT_LAST_N : n === -1 ? contextLength : (n as number),
    penalizeNewLine: none(nl) ? undefined : (nl as boolean),
  });
}

/** `format`: "json" (any JSON object) or a JSON schema, enforced by the OpenAI path's grammar. */
function formatSchema(format: unknown): Obj | undefined {
  if (none(format) || format === '') return undefined;
  if (format === 'json') return { type: 'object', additionalProperties: true };
  if (typeof format === 'object' && !Array.isArray(format))
    return checkSchema(format as Obj, 'format', 'format');
  throw bad(`'format' must be "json" or a JSON schema object`, 'format');
}

/** A body of /api/chat or /api/generate, checked; 400s name Ollama's fields. */
export function ollamaAsk(
  kind: OllamaKind,
  body: Obj,
  contextLength: number,
  maxTokensCap: number,
  timeoutCapS: number,
): OllamaAsk {
  checkFields(body, kind);
  let s: Sampling;
  let askedContext: number | undefined;
  try {
    s = samplingOf(body, maxTokensCap, timeoutCapS, contextLength);
    const numCtx = num((body.options ?? {}) as Obj, 'num_ctx', 1, Number.MAX_SAFE_INTEGER, true);
    if (numCtx !== undefined && numCtx > contextLength) askedContext = numCtx;
  } catch (err) {
    // top_k's and num_ctx's ranges, from num(): named under options as the client sent them.
    const p = err instanceof HttpError ? err.param : undefined;
    if (p === 'top_k' || p === 'num_ctx')
      throw bad((err as Error).message.replace(`'${p}'`, `'options.${p}'`), `options.${p}`);
    throw err;
  }
  s.jsonSchema = formatSchema(body.format);
  const stream = body.stream !== false; // Ollama streams unless told not to
  if (kind === 'chat') {
    const list = body.messages;
    if (none(list) || (Array.isArray(list) && list.length === 0))
      return { load: true, sampling: s, stream, chars: 0 };
    if (Array.isArray(list))
      list.forEach((m: Obj, i) => {
        if (m && typeof m === 'object' && !emptyList(m.images))
          throw bad(
            `'messages[${i}].images' is not supported: ${TEXT_ONLY}; leave it out`,
            `messages[${i}].images`,
          );
      });
    // Ollama's tools (tools.ts), and OpenAI's tool_choice as this service's own field.
    s.tools = chatTools(body, s, 'format');
    return { ...chat(messages(list), s, stream), askedContext };
  }
  if (!none(body.raw) && typeof body.raw !== 'boolean') throw bad("'raw' must be a boolean", 'raw');
  const system = none(body.system) ? undefined : text(body.system, 'system');
  if (none(body.prompt) || body.prompt === '') return { load: true, sampling: s, stream, chars: 0 };
  const prompt = text(body.prompt, 'prompt');
  if (body.raw === true) {
    if (system)
      throw bad(
        "'system' is not used with 'raw': a raw prompt is given to the model as it is; put the system text in the prompt",
        'system',
      );
    return { prompt, load: false, sampling: s, stream, chars: prompt.length, askedContext };
  }
  // As Ollama does: the prompt is one user turn (and `system` its system turn) in the model's template.
  const turns: ChatMessage[] = [{ role: 'user', content: prompt }];
  return {
    ...chat(system ? [{ role: 'system', content: system }, ...turns] : turns, s, stream),
    askedContext,
  };
}

const chat = (ms: ChatMessage[], sampling: Sampling, stream: boolean): OllamaAsk => ({
  messages: ms,
  load: false,
  sampling,
  stream,
  chars: chatChars(ms, sampling.tools),
});
