/**
 * The shapes the llm engine (engine.ts) is called with and answers in, and the errors it throws that
 * are the caller's fault (400s). Kept apart from the engine so that the HTTP side (api.ts,
 * request.ts) reads what it exchanges without the llama.cpp plumbing; engine.ts re-exports them.
 */
import type { Llama } from 'node-llama-cpp';
import type { Device } from './device.js';

export interface EngineOptions {
  modelPath: string;
  /** Name served as `model` (the model package's name). */
  name: string;
  device: Device;
  /** Why that device (shown by /info and the start-up log). */
  deviceReason: string;
  contextSize: number;
  parallel: number;
  threads: number;
  /**
   * The chat template (Jinja) from the model package's chat_template.jinja, checked against the
   * signed manifest with the weights; without one, node-llama-cpp uses the GGUF's own.
   */
  chatTemplate?: string;
  /** LLM_MAX_PROMPT_CHARS: the most characters tokenised (engine.ts MAX_PROMPT_CHARS by default). */
  maxPromptChars?: number;
  /** Layers to offload with CUDA (default 'auto'); the CPU takes none. */
  gpuLayers?: number | 'auto' | 'max';
  /** Test hook: F32 KV cache, so logits can be compared with a float64 reference. */
  exactKvCache?: boolean;
  /** Aborts the model's load (the service stopping: model-pool.ts dispose). */
  loadSignal?: AbortSignal;
}

export interface EngineInfo {
  model: string;
  /** The GGUF's general.architecture (`llama`, `qwen2`): Ollama's `family`. */
  architecture: string;
  contextLength: number;
  trainedContextLength: number;
  quantisation: string;
  parameters: number;
  sizeBytes: number;
  device: Device;
  deviceReason: string;
  gpuLayers: number;
  threads: number;
  parallel: number;
}

/** llama.cpp's binding on one device, shared by the models a service serves. */
export interface Backend {
  llama: Llama;
  device: Device;
  deviceReason: string;
}

/** A call of a declared tool: by the model in an answer, or one in the history with its result. */
export interface ToolCall {
  name: string;
  /** The arguments as a value (the grammar makes them valid against the tool's schema). */
  arguments: unknown;
  /** The tool's answer (a `tool` message's content), in a history. */
  result?: string;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
  /** An assistant's calls, each with the result its tool message gave (tools.ts pairs them). */
  toolCalls?: ToolCall[];
}

/** The tools a chat may call (tools.ts), as node-llama-cpp's `functions` take them. */
export interface ToolSet {
  functions: Record<string, { description?: string; params?: Record<string, unknown> }>;
  /** `auto`: the model may call one or answer; `required`: it must call one of `functions`. */
  choice: 'auto' | 'required';
  /** At most this many calls in one answer (1 when parallel_tool_calls is false). */
  maxCalls: number;
}

/**
 * node-llama-cpp's repetition penalties, over the last `lastTokens` tokens of the answer: `penalty`
 * divides a repeated token's logit (Ollama's repeat_penalty), `frequencyPenalty` subtracts per
 * occurrence and `presencePenalty` once (OpenAI's and Ollama's fields of those names).
 */
export interface RepeatPenalty {
  penalty?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  lastTokens: number;
  penalizeNewLine: boolean;
}

export interface Sampling {
  maxTokens?: number;
  temperature: number;
  topP?: number;
  /** Only the k likeliest tokens are drawn from (Ollama's top_k; node-llama-cpp's default otherwise). */
  topK?: number;
  seed?: number;
  /** Repetition penalties (none: node-llama-cpp's default, as before they were served). */
  repeat?: RepeatPenalty;
  stop: string[];
  /** A JSON schema the answer must follow (enforced by a grammar). */
  jsonSchema?: Record<string, unknown>;
  /** Tools the chat may call (none: it answers with text). */
  tools?: ToolSet;
  /**
   * How long the generation may hold its sequence, from the call (its grammar and prompt count):
   * past it the generation stops between two tokens (the prompt's evaluation between two of its
   * slices) and ends as a max_tokens one does.
   */
  timeoutMs?: number;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls';

export interface Generation {
  text: string;
  /** The calls the model made (finishReason 'tool_calls'). */
  toolCalls?: ToolCall[];
  finishReason: FinishReason;
  /** Stopped at its deadline (Sampling.timeoutMs); finishReason is then 'length'. */
  timedOut: boolean;
  promptTokens: number;
  completionTokens: number;
}

/**
 * The client left during its generation (its signal aborted it): `reason` is the signal's own, what
 * is thrown on to the kit (generation-run.ts); `completionTokens` were generated before it stopped.
 */
export class ClientLeftError extends Error {
  constructor(
    readonly reason: unknown,
    readonly completionTokens: number,
  ) {
    super('the client left');
  }
}

/** The request does not fit the context window (a 400, not a 500). */
export class ContextOverflowError extends Error {}
/** A json_schema node-llama-cpp cannot turn into a grammar (a 400). */
export class SchemaError extends Error {
  /** The request's field it names (else the route's schema field: response_format, format). */
  constructor(
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}
