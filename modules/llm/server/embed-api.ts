/**
 * The llm service's embedding routes, served from the loaded model (embed.ts) as Ollama and
 * llama.cpp's server serve them: Ollama's `POST /api/embed` (`input` a string or an array,
 * L2-normalised vectors, `truncate`, `dimensions`) and its older `POST /api/embeddings` (`prompt`,
 * the raw vector), and OpenAI's `POST /v1/embeddings` (`input` strings or token ids,
 * `encoding_format` float or base64, `dimensions`; normalised, as llama.cpp's server answers).
 * Each request holds the model (model-pool.ts: its embedding context admitted like a model) and one
 * slot of the kit's fair queue for its whole batch, within the generation deadline.
 */
import { HttpError, hasLoneSurrogate, type RequestContext } from '../../kit/server/index.js';
import {
  type EmbedBatch,
  EmbeddingInputTooLongError,
  EmbeddingTimeoutError,
  EmbeddingTokenError,
  EmbeddingUnsupportedError,
  type EmbedInput,
} from './embed.js';
import { acquire } from './generation-run.js';
import type { ModelPool } from './model-pool.js';
import { bad, type Obj } from './request.js';

/** LLM_MAX_EMBED_INPUTS: the most inputs one request embeds. */
export const MAX_EMBED_INPUTS = 256;
/**
 * LLM_MAX_EMBED_CHARS: the most characters of one request's inputs together (tokenised on the event
 * loop, one input at a time; each input also at most the engine's bound, embed.ts).
 */
export const MAX_EMBED_CHARS = 262_144;

export interface EmbedLimits {
  maxInputs: number;
  maxChars: number;
}

export const DEFAULT_EMBED_LIMITS: EmbedLimits = { maxInputs: MAX_EMBED_INPUTS, maxChars: MAX_EMBED_CHARS };

/**
 * The inputs of `v` (`param`): a string (Ollama: an empty one is no input), or an array of strings
 * (OpenAI, `tokens`: also token ids, one array of integers or an array of them), within the limits.
 */
export function embedInputs(
  v: unknown,
  param: string,
  limits: EmbedLimits,
  o: { tokens: boolean; emptyString: 'none' | 'refuse' },
): EmbedInput[] {
  const shape = o.tokens
    ? `'${param}' must be a string, an array of strings, an array of token ids or an array of such arrays`
    : `'${param}' must be a string or an array of strings`;
  let list: unknown[];
  if (typeof v === 'string') {
    if (v === '' && o.emptyString === 'none') return [];
    list = [v];
  } else if (Array.isArray(v)) {
    // One array of integers is one input of token ids (OpenAI's).
    list = o.tokens && v.length > 0 && v.every((x) => typeof x === 'number') ? [v] : v;
  } else throw bad(shape, param);
  if (list.length > limits.maxInputs)
    throw bad(
      `'${param}' has ${list.length} inputs; at most ${limits.maxInputs} are embedded in one request (LLM_MAX_EMBED_INPUTS): send them in several`,
      param,
    );
  let chars = 0;
  return list.map((x, i) => {
    if (typeof x === 'string') {
      if (x === '') throw bad(`${param}[${i}] is empty: every input must hold text`, param);
      if (hasLoneSurrogate(x))
        throw bad(`${param}[${i}] contains a lone surrogate: send valid Unicode`, param);
      chars += x.length;
    } else if (o.tokens && Array.isArray(x) && x.length > 0 && x.every((t) => typeof t === 'number')) {
      chars += x.length;
    } else throw bad(`${shape}; ${param}[${i}] is not`, param);
    if (chars > limits.maxChars)
      throw bad(
        `'${param}' holds more than ${limits.maxChars} characters in all; at most that many are embedded in one request (LLM_MAX_EMBED_CHARS): send fewer or shorter inputs`,
        param,
      );
    return x as EmbedInput;
  });
}

/** `dimensions`: a whole number from 1 to the model's embedding size (checked against it once loaded). */
export function dimensionsOf(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw bad("'dimensions' must be a whole number of at least 1", 'dimensions');
  return v;
}

export interface EmbedAsk {
  id: string;
  inputs: EmbedInput[];
  truncate: boolean;
  dimensions?: number;
  /** The model's keep_alive after this request (Ollama's); none: the pool's default. */
  keep?: number;
  timeoutS: number;
  /** The field an input's refusal names (`input`, `prompt`). */
  param: string;
}

export interface EmbedResult extends EmbedBatch {
  /** The served model's name. */
  model: string;
  /** Milliseconds this request waited for the model's load. */
  loadMs: number;
}

/**
 * Holds the model and its embedding context (made and admitted at the first request), then one
 * slot of the fair queue, and embeds the inputs in order. The engine's refusals become 400s naming
 * the field; a batch past the deadline is a 413 (nothing of it answered).
 */
export async function embedOn(pool: ModelPool, ctx: RequestContext, ask: EmbedAsk): Promise<EmbedResult> {
  const waitMs = ask.timeoutS * 1000;
  let lease: Awaited<ReturnType<ModelPool['acquire']>>;
  try {
    lease = await pool.acquire(ask.id, waitMs, { embedding: true });
  } catch (err) {
    if (err instanceof EmbeddingUnsupportedError) throw bad(err.message, 'model');
    throw err;
  }
  try {
    const embedder = lease.embedder!;
    if (ask.dimensions !== undefined && ask.dimensions > embedder.size)
      throw bad(
        `'dimensions' is ${ask.dimensions}; this model's embeddings have ${embedder.size}: ask for at most that many`,
        'dimensions',
      );
    if (ask.inputs.length === 0)
      return { model: lease.engine.info.model, loadMs: lease.loadMs, vectors: [], tokens: 0 };
    const slot = await acquire(ctx);
    try {
      const batch = await embedder.embed(ask.inputs, {
        truncate: ask.truncate,
        signal: ctx.signal,
        timeoutMs: waitMs,
      });
      return { ...batch, model: lease.engine.info.model, loadMs: lease.loadMs };
    } finally {
      slot();
    }
  } catch (err) {
    if (err instanceof EmbeddingInputTooLongError || err instanceof EmbeddingTokenError)
      throw bad(err.message, ask.param);
    if (err instanceof EmbeddingTimeoutError) throw new HttpError(413, err.message, ask.param);
    throw err;
  } finally {
    lease.release(ask.keep);
  }
}

/** The vector as OpenAI's `encoding_format: "base64"`: little-endian float32s, base64. */
export function base64Of(v: readonly number[]): string {
  const f = new Float32Array(v);
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString('base64');
}

/** OpenAI's fields of /v1/embeddings served here (`user` accepted and unused). */
const OPENAI_FIELDS = new Set(['input', 'model', 'encoding_format', 'dimensions', 'user']);

/** The OpenAI request's fields, or a 400 naming the one not served. */
export function checkOpenAiEmbedFields(body: Obj): void {
  for (const key of Object.keys(body))
    if (!OPENAI_FIELDS.has(key)) {
      const shown = key.length > 64 ? `${key.slice(0, 64)}…` : key;
      throw bad(
        `'${shown}' is not a field of /v1/embeddings here; this service serves ${[...OPENAI_FIELDS].join(', ')}: leave it out`,
        shown,
      );
    }
  const f = body.encoding_format;
  if (f !== undefined && f !== null && f !== 'float' && f !== 'base64')
    throw bad('\'encoding_format\' must be "float" or "base64"', 'encoding_format');
}
