/**
 * The checks on a request body of the llm service's OpenAI-compatible API: each bad field is a 400
 * naming it (`param`, as OpenAI's errors do), before the request waits for a slot.
 */
import { randomInt } from 'node:crypto';
import { HttpError, hasLoneSurrogate } from '../../kit/server/index.js';
import {
  type ChatMessage,
  type Engine,
  MAX_PROMPT_CHARS,
  type RepeatPenalty,
  type Sampling,
} from './engine.js';
import { pairToolResults, type ReadMessage, readCalls } from './tools.js';

export type Obj = Record<string, unknown>;
export const bad = (message: string, param?: string) => new HttpError(400, message, param);

export function text(v: unknown, param: string): string {
  if (typeof v !== 'string') throw bad(`'${param}' must be a string`, param);
  if (hasLoneSurrogate(v)) throw bad(`'${param}' contains a lone surrogate: send valid Unicode`, param);
  return v;
}

export function num(body: Obj, key: string, min: number, max: number, int = false): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (int && !Number.isInteger(v)))
    throw bad(`'${key}' must be ${int ? 'an integer' : 'a number'} from ${min} to ${max}`, key);
  return v;
}

/**
 * What a terminal acts on (C0, DEL, C1, bidi controls, line separators): the kit log's set.
 * llama.cpp prints a grammar it cannot parse to fd 2 from native code, past the escaped log, and
 * the grammar holds the schema's property names and const/enum values as they are.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
/**
 * Strings that never reach the grammar: words for people, and `$ref` (a definition's rule is named
 * `defN`; a reference that resolves to nothing is only warned about, through the escaped log).
 */
const ANNOTATIONS = new Set(['description', 'title', '$comment', '$ref']);
/**
 * The grammar is built from the schema in JavaScript and parsed by llama.cpp, both on the event
 * loop (4.4 s for a 4 MB schema of 150,000 properties, /health waiting): bounded like OpenAI's
 * structured outputs (5,000 properties, 120,000 characters of names and values).
 */
export const SCHEMA_MAX_VALUES = 10_000;
export const SCHEMA_MAX_DEPTH = 32;
export const SCHEMA_MAX_CHARS = 100_000;

/** The schema as it is, or a 400 naming the bound it passes or the text it may not hold. */
export function checkSchema(
  schema: Obj,
  param = 'response_format',
  where = 'response_format.json_schema.schema',
): Obj {
  let values = 0;
  let chars = 0;
  const textOk = (s: string, what: string) => {
    chars += s.length;
    if (chars > SCHEMA_MAX_CHARS)
      throw bad(`${where} has more than ${SCHEMA_MAX_CHARS} characters of names and values`, param);
    if (UNSAFE.test(s))
      throw bad(
        `${where} has a control or bidi character in ${what}: only descriptions may hold them`,
        param,
      );
  };
  // Iterative: a body nested 100,000 levels deep must not overflow the stack.
  const stack: { v: unknown; depth: number; annotation: boolean }[] = [
    { v: schema, depth: 1, annotation: false },
  ];
  while (stack.length > 0) {
    const { v, depth, annotation } = stack.pop()!;
    if (++values > SCHEMA_MAX_VALUES)
      throw bad(`${where} has more than ${SCHEMA_MAX_VALUES} keys and values`, param);
    if (typeof v === 'string') {
      if (!annotation) textOk(v, 'a value');
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth > SCHEMA_MAX_DEPTH) throw bad(`${where} is nested more than ${SCHEMA_MAX_DEPTH} levels`, param);
    if (Array.isArray(v)) {
      for (const item of v) stack.push({ v: item, depth: depth + 1, annotation: false });
      continue;
    }
    for (const [key, item] of Object.entries(v)) {
      values++;
      textOk(key, 'a name');
      // Only a string under an annotation is free text (a property called `description` is a schema).
      stack.push({ v: item, depth: depth + 1, annotation: ANNOTATIONS.has(key) && typeof item === 'string' });
    }
  }
  return schema;
}

/** OpenAI's range for presence_penalty and frequency_penalty (Ollama's options take the same). */
export const PENALTY_RANGE = 2;

/**
 * The penalties asked for, or none when every one is absent or at the value that changes nothing
 * (or `lastTokens` is 0, Ollama's repeat_last_n off): then node-llama-cpp's default, as before
 * penalties were served.
 */
export function repeatPenalty(p: {
  penalty?: number;
  frequency?: number;
  presence?: number;
  lastTokens: number;
  penalizeNewLine?: boolean;
}): RepeatPenalty | undefined {
  const on = (p.penalty ?? 1) !== 1 || (p.frequency ?? 0) !== 0 || (p.presence ?? 0) !== 0;
  if (!on || p.lastTokens === 0) return undefined;
  return {
    penalty: p.penalty,
    frequencyPenalty: p.frequency,
    presencePenalty: p.presence,
    lastTokens: p.lastTokens,
    // OpenAI and Ollama count every token, a newline too (node-llama-cpp leaves it out by default).
    penalizeNewLine: p.penalizeNewLine ?? true,
  };
}

/**
 * `timeoutCapS`: LLM_GENERATION_TIMEOUT_S, the longest a generation may hold its slot; a request may
 * ask for less (`generation_timeout_s`, seconds), never more.
 */
export function sampling(body: Obj, cap: number, timeoutCapS: number): Sampling {
  const stop = body.stop;
  const stops =
    stop === undefined || stop === null
      ? []
      : typeof stop === 'string'
        ? [stop]
        : Array.isArray(stop) && stop.length <= 4
          ? stop.map((s, i) => text(s, `stop[${i}]`))
          : (() => {
              throw bad("'stop' must be a string or an array of at most 4 strings", 'stop');
            })();
  if (stops.some((s) => s.length === 0)) throw bad("'stop' strings must not be empty", 'stop');
  const maxTokens = num(body, 'max_completion_tokens', 1, cap, true) ?? num(body, 'max_tokens', 1, cap, true);
  let jsonSchema: Obj | undefined;
  const rf = body.response_format as Obj | undefined;
  if (rf !== undefined && rf !== null) {
    if (typeof rf !== 'object' || Array.isArray(rf))
      throw bad("'response_format' must be an object", 'response_format');
    if (rf.type === 'json_schema') {
      const js = rf.json_schema as Obj | undefined;
      if (!js || typeof js !== 'object' || typeof js.schema !== 'object' || js.schema === null)
        throw bad("'response_format.json_schema.schema' must be a JSON schema object", 'response_format');
      jsonSchema = checkSchema(js.schema as Obj);
    } else if (rf.type === 'json_object') {
      jsonSchema = { type: 'object', additionalProperties: true };
    } else if (rf.type !== 'text') {
      throw bad("'response_format.type' must be text, json_object or json_schema", 'response_format');
    }
  }
  return {
    maxTokens,
    // OpenAI's default is 1; 0 means greedy decoding.
    temperature: num(body, 'temperature', 0, 2) ?? 1,
    topP: num(body, 'top_p', 0, 1),
    // Without one, a seed of its own: node-llama-cpp's default is the clock's second, so every
    // request in one second got the same sampled answer (a regenerate, two users asking alike).
    seed: num(body, 'seed', 0, 2 ** 32 - 1, true) ?? randomInt(2 ** 32 - 1),
    // OpenAI's penalties count every token of the answer so far: generation.ts bounds this by
    // the answer's own budget (max_tokens, else the context's room).
    repeat: repeatPenalty({
      frequency: num(body, 'frequency_penalty', -PENALTY_RANGE, PENALTY_RANGE),
      presence: num(body, 'presence_penalty', -PENALTY_RANGE, PENALTY_RANGE),
      lastTokens: Number.MAX_SAFE_INTEGER,
    }),
    stop: stops,
    jsonSchema,
    timeoutMs: (num(body, 'generation_timeout_s', 0.001, timeoutCapS) ?? timeoutCapS) * 1000,
  };
}

export function messages(v: unknown): ChatMessage[] {
  if (!Array.isArray(v) || v.length === 0) throw bad("'messages' must be a non-empty array", 'messages');
  if (v.length > 1024) throw bad("'messages' has more than 1024 entries", 'messages');
  const read = v.map((m: Obj, i): ReadMessage => {
    const p = `messages[${i}]`;
    if (!m || typeof m !== 'object') throw bad(`'${p}' must be an object`, p);
    const role = m.role === 'developer' ? 'system' : m.role;
    if (role !== 'system' && role !== 'user' && role !== 'assistant' && role !== 'tool')
      throw bad(`'${p}.role' must be system, developer, user, assistant or tool`, `${p}.role`);
    // An assistant's tool calls (its content may then be null), and a tool's result (tools.ts).
    const listed =
      role === 'assistant' && m.tool_calls !== undefined && m.tool_calls !== null
        ? readCalls(m.tool_calls, `${p}.tool_calls`)
        : undefined;
    const calls = listed?.calls.length ? listed : undefined;
    // Content as a string or as text parts (what the SDKs send for multi-part messages).
    const c = m.content;
    const content =
      calls && (c === null || c === undefined)
        ? ''
        : Array.isArray(c)
          ? c
              .map((part: Obj, j) => {
                if (part?.type !== 'text')
                  throw bad(`'${p}.content[${j}]' must be a text part`, `${p}.content`);
                return text(part.text, `${p}.content[${j}].text`);
              })
              .join('')
          : text(c, `${p}.content`);
    if (role === 'tool') {
      const callId =
        m.tool_call_id === undefined || m.tool_call_id === null
          ? undefined
          : text(m.tool_call_id, `${p}.tool_call_id`);
      const name = m.tool_name ?? m.name;
      return { role: 'user', content, tool: { callId, name: typeof name === 'string' ? name : undefined } };
    }
    return calls ? { role, content, toolCalls: calls.calls, callIds: calls.ids } : { role, content };
  });
  return pairToolResults(read);
}

/** The fields a request may carry: OpenAI's that are served (`user`, OpenAI's end-user id, is only the client's). */
const SERVED_COMMON = [
  'model',
  'temperature',
  'top_p',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'seed',
  'frequency_penalty',
  'presence_penalty',
  'stream',
  'stream_options',
  'response_format',
  'n',
  'generation_timeout_s',
  'user',
];
/** Tool calling (tools.ts): chats only. */
const TOOL_FIELDS = ['tools', 'tool_choice', 'parallel_tool_calls'];
const SERVED = {
  chat: new Set([...SERVED_COMMON, 'messages', ...TOOL_FIELDS]),
  text: new Set([...SERVED_COMMON, 'prompt']),
};

const none = (v: unknown) => v === null || v === undefined;
const emptyList = (v: unknown) => none(v) || (Array.isArray(v) && v.length === 0);
const emptyObject = (v: unknown) =>
  none(v) || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as Obj).length === 0);
const zero = (v: unknown) => none(v) || v === 0;
const off = (v: unknown) => none(v) || v === false;

const FUNCTIONS = "the older 'functions' API is not served: send 'tools' and 'tool_choice' instead";
const TOOLS = 'a plain completion calls no tools: send them to /v1/chat/completions';
const LOGPROBS = 'this service gives no log-probabilities';

/**
 * OpenAI's fields that are not served, each accepted only at the value that asks for nothing
 * (what some clients send by default), with why it is refused otherwise.
 */
const UNSERVED: Record<string, { neutral: (v: unknown) => boolean; why: string; only?: 'chat' | 'text' }> = {
  tools: { neutral: emptyList, why: TOOLS, only: 'text' },
  tool_choice: { neutral: (v) => none(v) || v === 'none' || v === 'auto', why: TOOLS, only: 'text' },
  parallel_tool_calls: { neutral: (v) => none(v) || typeof v === 'boolean', why: TOOLS, only: 'text' },
  functions: { neutral: emptyList, why: FUNCTIONS },
  function_call: { neutral: (v) => none(v) || v === 'none' || v === 'auto', why: FUNCTIONS },
  logprobs: { neutral: (v) => off(v) || v === 0, why: LOGPROBS },
  top_logprobs: { neutral: zero, why: LOGPROBS },
  logit_bias: { neutral: emptyObject, why: 'this service has no token biases' },
  store: { neutral: off, why: 'this service stores nothing' },
  metadata: { neutral: emptyObject, why: 'this service stores nothing' },
  echo: { neutral: off, why: 'this service does not echo the prompt', only: 'text' },
  best_of: {
    neutral: (v) => none(v) || v === 1,
    why: 'this service makes one answer a request (best_of 1)',
    only: 'text',
  },
  suffix: {
    neutral: (v) => none(v) || v === '',
    why: 'this service does not insert text (suffix)',
    only: 'text',
  },
};

/**
 * A field this service does not serve is a 400 naming it, as OpenAI's own API answers an
 * unrecognised one: answering without it would hand a client (tools, logprobs, biases) an
 * answer it did not ask for, without a word. Checked first, before anything waits.
 */
export function checkFields(body: Obj, kind: 'chat' | 'text'): void {
  for (const [key, v] of Object.entries(body)) {
    if (SERVED[kind].has(key)) continue;
    const u = Object.hasOwn(UNSERVED, key) ? UNSERVED[key] : undefined;
    const shown = key.length > 64 ? `${key.slice(0, 64)}…` : key;
    if (u && (!u.only || u.only === kind)) {
      if (u.neutral(v)) continue;
      throw bad(`'${key}' is not supported: ${u.why}; leave it out`, key);
    }
    throw bad(
      `'${shown}' is not a field of ${kind === 'chat' ? '/v1/chat/completions' : '/v1/completions'} here; this service serves ${[...SERVED[kind]].join(', ')}: leave it out`,
      shown,
    );
  }
  if (!none(body.stream) && typeof body.stream !== 'boolean')
    throw bad("'stream' must be a boolean", 'stream');
  const so = body.stream_options;
  if (!none(so) && (typeof so !== 'object' || Array.isArray(so)))
    throw bad("'stream_options' must be an object", 'stream_options');
}

/**
 * A prompt of `chars` characters and its stop strings, judged before anything is tokenised (on the
 * event loop): past the context's bound a 400 naming `param`, past the service's (`cap`,
 * LLM_MAX_PROMPT_CHARS) a 413 saying what to do. Both APIs' generations, before they queue.
 */
export function checkPromptSize(
  engine: Engine,
  chars: number,
  stops: string[],
  maxPromptChars: number | undefined,
  param: string,
): void {
  // node-llama-cpp sets up its stop detector on the event loop, per character (1.5 s for four
  // stops of 1,000,000): a stop longer than the context can hold could never match anyway.
  const cap = maxPromptChars ?? MAX_PROMPT_CHARS;
  const stopCap = Math.min(engine.maxPromptChars, cap);
  if (stops.some((stop) => stop.length > stopCap))
    throw bad(
      `'stop' strings may be at most ${stopCap} characters: ${stopCap < cap ? "no longer text fits this model's context" : 'no longer one is tokenised (LLM_MAX_PROMPT_CHARS)'}`,
      'stop',
    );
  // Before any tokenising (on the event loop, quadratic for some text): see maxPromptChars.
  if (chars > engine.maxPromptChars)
    throw bad(
      `the prompt is ${chars} characters; this model's context of ${engine.info.contextLength} tokens holds at most ${engine.maxPromptChars} (${engine.maxPromptChars / engine.info.contextLength} characters a token; a longer prompt is refused before it is tokenised)`,
      param,
    );
  // Within the context's bound but past the service's: a 413 saying what to do.
  if (chars > cap)
    throw new HttpError(
      413,
      `the prompt is ${chars} characters; this service tokenises at most ${cap} characters of a prompt (on its event loop, where a longer one would keep every other client waiting): send a shorter prompt, or raise LLM_MAX_PROMPT_CHARS`,
      param,
    );
}
