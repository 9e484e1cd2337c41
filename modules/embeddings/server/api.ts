/**
 * Request validation and response shapes of the two APIs the service speaks. Pure functions: the
 * HTTP layer turns an ApiError into its status code and the endpoint's error body.
 */
import { HttpError as ApiError, hasLoneSurrogate } from '../../kit/server/index.js';
import type { Embeddings, EmbedOptions, ModelInfo } from './engine.js';

export { ApiError };

export interface Limits {
  /** Most inputs in one request; more get 413. */
  maxBatch: number;
  /**
   * Most characters in one input; more get 413 before any tokenising. Truncation happens after
   * tokenising, so without this bound a 1M-character input costs a second of work to keep 256 tokens.
   */
  maxInputChars: number;
}

export interface EmbedRequest {
  texts: string[];
  options: EmbedOptions;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const NOT_ASCII = /[^\u0000-\u007f]/;

/** A string or a non-empty array of non-empty strings, at most maxBatch of them. */
function textList(value: unknown, param: string, limits: Limits, status: number): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list))
    throw new ApiError(status, `'${param}' must be a string or an array of strings`, param);
  if (list.length === 0) throw new ApiError(status, `'${param}' must not be empty`, param);
  if (list.length > limits.maxBatch) {
    throw new ApiError(
      413,
      `'${param}' has ${list.length} items, more than the maximum batch of ${limits.maxBatch}`,
      param,
    );
  }
  list.forEach((item, i) => {
    // As the client sent it: one string is the parameter itself, an array's item has its index.
    const at = typeof value === 'string' ? `'${param}'` : `'${param}[${i}]'`;
    if (typeof item !== 'string') {
      const hint =
        typeof item === 'number' || Array.isArray(item) ? ' (token arrays are not supported: send text)' : '';
      throw new ApiError(status, `${at} must be a string${hint}`, param);
    }
    if (item.length === 0) throw new ApiError(status, `${at} must not be an empty string`, param);
    if (item.length > limits.maxInputChars) {
      throw new ApiError(
        413,
        `${at} has ${item.length} characters, more than the maximum of ${limits.maxInputChars}: split the text`,
        param,
      );
    }
    // ASCII (what most requests are) holds no surrogate and is its own NFKC form: neither check
    // below can refuse it, so only other text pays for them (one scan instead of two a string).
    if (!NOT_ASCII.test(item)) return;
    // "\ud800" is valid JSON but not text: refused, as text-embeddings-inference does.
    if (hasLoneSurrogate(item)) {
      throw new ApiError(
        status,
        `${at} contains a lone surrogate (an unpaired \\uD800-\\uDFFF escape): send valid Unicode`,
        param,
      );
    }
    // A tokenizer that normalises with NFKC (sentencepiece, multilingual models) tokenises the
    // normalised text, where one character may become 18 (U+FDFA): 16,384 of them cost 31× ASCII's
    // time.
    const normalised = item.normalize('NFKC').length;
    if (normalised > limits.maxInputChars)
      throw new ApiError(
        413,
        `${at} has ${normalised} characters once normalised (NFKC), more than the maximum of ${limits.maxInputChars}: split the text`,
        param,
      );
  });
  return list as string[];
}

function optional<T>(
  body: Record<string, unknown>,
  key: string,
  type: string,
  status: number,
): T | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== type) throw new ApiError(status, `'${key}' must be a ${type}`, key);
  return v as T;
}

// --- OpenAI: POST /v1/embeddings -------------------------------------------------------------

export interface OpenAiRequest extends EmbedRequest {
  base64: boolean;
}

/** OpenAI's fields of an embeddings request: every one is served (`user` is taken and not used). */
const OPENAI_FIELDS = ['input', 'model', 'encoding_format', 'dimensions', 'user'];

/**
 * `input` is required; `model` is optional and only informative (the service serves one model and
 * answers with its name); `dimensions`, if given, must equal the model's; `encoding_format` is
 * `float` or `base64` (the official Python client asks for base64). Long inputs are truncated.
 */
export function parseOpenAi(body: unknown, limits: Limits, info: ModelInfo): OpenAiRequest {
  if (!isObject(body)) throw new ApiError(400, 'the request body must be a JSON object');
  // Any other field is a 400 naming it, as OpenAI answers an unrecognised one: answering as if it
  // was not sent (Ollama's `options`, TEI's `truncate`, a typo) gives vectors the client did not ask for.
  for (const key of Object.keys(body))
    if (!OPENAI_FIELDS.includes(key)) {
      const shown = key.length > 64 ? `${key.slice(0, 64)}…` : key;
      throw new ApiError(
        400,
        `'${shown}' is not a field of /v1/embeddings here; this service serves ${OPENAI_FIELDS.join(', ')}: leave it out`,
        shown,
      );
    }
  if (body.input === undefined) throw new ApiError(400, "'input' is required", 'input');
  const texts = textList(body.input, 'input', limits, 400);
  optional<string>(body, 'model', 'string', 400);
  optional<string>(body, 'user', 'string', 400);
  const format = optional<string>(body, 'encoding_format', 'string', 400) ?? 'float';
  if (format !== 'float' && format !== 'base64') {
    throw new ApiError(400, `'encoding_format' must be 'float' or 'base64'`, 'encoding_format');
  }
  const dims = optional<number>(body, 'dimensions', 'number', 400);
  if (dims !== undefined && dims !== info.dimension) {
    throw new ApiError(
      400,
      `'dimensions' must be ${info.dimension}: this model cannot shorten its vectors`,
      'dimensions',
    );
  }
  return { texts, options: { truncate: true, normalize: true }, base64: format === 'base64' };
}

function base64(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

/**
 * The answer as JSON text, written piece by piece: what JSON.stringify would give for
 * { object, data: [{ object, index, embedding }], model, usage }, without building that object or
 * having JSON.stringify scan every base64 string for characters to escape (base64 has none): ~3×
 * cheaper for a batch of 32 (issue 20). Text, not bytes: the kit sends a reply's `json` with its
 * head in one string write (one write(2)), where bytes went out as a corked head + body (a
 * writev(2) after a copy of the text into a Buffer).
 */
export function openAiResponse(req: OpenAiRequest, out: Embeddings, info: ModelInfo): string {
  const total = out.tokens.reduce((a, b) => a + b, 0);
  let text = '{"object":"list","data":[';
  out.vectors.forEach((v, index) => {
    const embedding = req.base64 ? `"${base64(v)}"` : JSON.stringify(Array.from(v));
    text += `${index ? ',' : ''}{"object":"embedding","index":${index},"embedding":${embedding}}`;
  });
  return `${text}],"model":${JSON.stringify(info.model)},"usage":{"prompt_tokens":${total},"total_tokens":${total}}}`;
}

export function openAiError(err: ApiError) {
  const type = err.status >= 500 ? 'server_error' : 'invalid_request_error';
  return { error: { message: err.message, type, param: err.param ?? null, code: null } };
}

// --- Hugging Face text-embeddings-inference: POST /embed --------------------------------------

/**
 * `inputs` is required; `normalize` defaults to true; `truncate` defaults to false as in TEI, so an
 * input over the token limit gets 413 unless the client asks for truncation;
 * `truncation_direction` is `Right` (default) or `Left`. Validation errors are 422, as in TEI.
 */
export function parseTei(body: unknown, limits: Limits): EmbedRequest {
  if (!isObject(body)) throw new ApiError(422, 'the request body must be a JSON object');
  if (body.inputs === undefined) throw new ApiError(422, "'inputs' is required", 'inputs');
  const texts = textList(body.inputs, 'inputs', limits, 422);
  const normalize = optional<boolean>(body, 'normalize', 'boolean', 422) ?? true;
  const truncate = optional<boolean>(body, 'truncate', 'boolean', 422) ?? false;
  const dir = (optional<string>(body, 'truncation_direction', 'string', 422) ?? 'right').toLowerCase();
  if (dir !== 'left' && dir !== 'right') {
    throw new ApiError(422, `'truncation_direction' must be 'Left' or 'Right'`, 'truncation_direction');
  }
  if (body.prompt_name !== undefined && body.prompt_name !== null) {
    throw new ApiError(422, `'prompt_name' is not supported: this model has no prompts`, 'prompt_name');
  }
  return { texts, options: { truncate, normalize, direction: dir } };
}

export function teiResponse(out: Embeddings): number[][] {
  return out.vectors.map((v) => Array.from(v));
}

/** TEI's error body; its `error_type`s are Validation, Overloaded, Backend (and ours, Unauthorized). */
export function teiError(err: ApiError) {
  const types: Record<number, string> = { 401: 'Unauthorized', 503: 'Overloaded' };
  const type = types[err.status] ?? (err.status >= 500 ? 'Backend' : 'Validation');
  return { error: err.message, error_type: type };
}

// --- GET /info ----------------------------------------------------------------------------

export function infoResponse(info: ModelInfo, limits: Limits) {
  return {
    model: info.model,
    dimension: info.dimension,
    max_tokens: info.maxTokens,
    max_batch: limits.maxBatch,
    max_input_chars: limits.maxInputChars,
    device: info.device,
    device_reason: info.deviceReason,
    pooling: 'mean',
    normalized: true,
    truncation: '/v1/embeddings truncates to max_tokens; /embed does when "truncate": true, else 413',
  };
}
