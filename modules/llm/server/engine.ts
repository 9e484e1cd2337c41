/**
 * The inference engine of the llm service: llama.cpp through node-llama-cpp. One model, one context
 * with `parallel` sequences; each request takes a free sequence for its whole generation (the
 * kit's fair queue, with concurrency = parallel, guarantees one is free).
 *
 * Why not the kit's worker thread: node-llama-cpp already runs every evaluation on llama.cpp's own
 * native threads (the addon's async work), so the event loop that accepts connections and answers
 * /health never waits on a matrix product; a worker would only add a copy of every streamed token
 * between threads. Tokenising is not: it runs on the main thread, bounded by maxPromptChars.
 */
import {
  type ChatWrapper,
  getLlama,
  type Llama,
  LlamaChat,
  type LlamaChatResponse,
  LlamaCompletion,
  type LlamaCompletion as LlamaCompletionT,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaGrammar,
  LlamaLogLevel,
  type LlamaModel,
} from 'node-llama-cpp';
import { type Deadline, deadline } from './deadline.js';
import { type CudaAttempt, settleDevice } from './device.js';
import { Embedder } from './embed.js';
import { makeContext, resolveWrapper } from './engine-load.js';
import { aborted, generation } from './generation.js';
import { GGML_TYPES } from './gguf-types.js';
import { prefill } from './prefill.js';
import {
  boundChatWrapper,
  startTemplateRenderer,
  TEMPLATE_OWN_CHARS,
  templateRendererReady,
} from './template-bound.js';
import { checkToolGrammars, historyOf, toolOptions } from './tool-chat.js';

export type { Device } from './device.js';

import {
  type Backend,
  type ChatMessage,
  ContextOverflowError,
  type EngineInfo,
  type EngineOptions,
  type Generation,
  type Sampling,
  SchemaError,
} from './engine-types.js';

// The request and answer types and the 400 errors live in engine-types.ts; callers import them from here.
export type {
  Backend,
  ChatMessage,
  EngineInfo,
  EngineOptions,
  FinishReason,
  Generation,
  RepeatPenalty,
  Sampling,
} from './engine-types.js';
export { ContextOverflowError, SchemaError } from './engine-types.js';
export { TemplateError } from './template-bound.js';

/**
 * The most characters of a prompt tokenised, whatever the context (LLM_MAX_PROMPT_CHARS): llama.cpp
 * tokenises on the event loop (node-llama-cpp has no asynchronous tokeniser; a chat's prompt is
 * tokenised twice), and the context's bound grows with LLM_CONTEXT: 524,288 characters at 32,768
 * tokens, 0.6-3 s of /health waiting. 65,536 is that bound at the default context of 4,096 (11-299
 * ms measured with Llama 2, Llama 3, Qwen2 and GPT-2 vocabularies), ~16,000 tokens of prose.
 */
export const MAX_PROMPT_CHARS = 65_536;

/**
 * Characters a token of context may stand for in a prompt that is tokenised. Llama 2's vocabulary's
 * longest piece is 16 characters; Llama 3's and Qwen2's are 128 (runs of spaces, `=`, `-`), which
 * let 524,288 characters be tokenised in one turn of the event loop at the default context of 4,096
 * (1.2-2.7 s measured, /health waiting; 0.1-0.3 s at 65,536). Text averages 3 to 5 characters a
 * token (prose, code); only long runs of one character need more, and such a prompt is refused
 * (context_length_exceeded) even when it would have fit.
 */
export const MAX_CHARS_PER_TOKEN = 16;

export class Engine {
  readonly info: EngineInfo;
  /**
   * The longest prompt (and stop string), in characters, that is tokenised: the context times the
   * vocabulary's longest piece, at most MAX_CHARS_PER_TOKEN. A longer one is refused before it is
   * tokenised: llama.cpp tokenises on the event loop, and a run of one character or of digits takes
   * quadratic time (1.1 s for 128,000 letters; about 20 minutes for a 4 MiB body), /health and
   * SIGTERM waiting.
   */
  readonly maxPromptChars: number;
  /** Tokens generated since start, all requests together (a stopped generation stops counting). */
  generated = 0;
  /** The chat template that renders its chats (the package's, else the GGUF's): Ollama's /api/show. */
  template: string | undefined;
  private readonly free: LlamaContextSequence[];
  private readonly llama: Llama;
  private readonly model: LlamaModel;
  private readonly context: LlamaContext;
  private readonly chatWrapper: ChatWrapper;
  /** Loaded for this engine alone (disposed with it), or shared by several (the caller's). */
  private readonly ownsLlama: boolean;
  /** The most characters of one text tokenised: maxPromptChars, at most LLM_MAX_PROMPT_CHARS. */
  private readonly textCap: number;
  /** The embedding context, made at the first embedding request (embed.ts), disposed with the model. */
  private embedding?: Promise<Embedder>;

  private constructor(
    llama: Llama,
    model: LlamaModel,
    context: LlamaContext,
    info: EngineInfo,
    chatWrapper: ChatWrapper,
    ownsLlama: boolean,
    promptCap: number,
  ) {
    this.ownsLlama = ownsLlama;
    this.llama = llama;
    this.model = model;
    this.context = context;
    this.info = info;
    const pieces = (model.fileInfo.metadata as { tokenizer?: { ggml?: { tokens?: unknown } } }).tokenizer
      ?.ggml?.tokens;
    // Without the vocabulary in the metadata (never seen in a GGUF), a generous 256 a token.
    const longest = Array.isArray(pieces)
      ? pieces.reduce((m: number, p: unknown) => Math.max(m, typeof p === 'string' ? p.length : 0), 1)
      : 256;
    this.maxPromptChars = info.contextLength * Math.min(longest, MAX_CHARS_PER_TOKEN);
    this.textCap = Math.min(this.maxPromptChars, promptCap);
    // What a chat's template may render: the messages' bound and the template's own text.
    const rendered = Math.min(this.maxPromptChars, promptCap) + TEMPLATE_OWN_CHARS;
    this.chatWrapper = boundChatWrapper(chatWrapper, () => rendered);
    this.free = Array.from({ length: info.parallel }, () => context.getSequence());
  }

  /**
   * llama.cpp on the device chosen (device.ts): CUDA when chosen and its build loads with a GPU,
   * else the CPU, with what failed as the reason. `deps` replaces node-llama-cpp and the loader
   * check in tests.
   */
  static async backend(
    opts: Pick<EngineOptions, 'device' | 'deviceReason'>,
    log: (line: string) => void = () => undefined,
    deps: { getLlama?: typeof getLlama; missing?: () => string[] } = {},
  ): Promise<Backend> {
    const load = deps.getLlama ?? getLlama;
    const choice = { device: opts.device, reason: opts.deviceReason };
    let attempt: CudaAttempt | undefined;
    let llama: Llama | undefined;
    if (opts.device === 'cuda') {
      try {
        llama = await load({ gpu: 'cuda', build: 'never', logLevel: LlamaLogLevel.error });
        attempt = { ok: true, gpu: llama.gpu, deviceNames: await llama.getGpuDeviceNames() };
        if (llama.gpu !== 'cuda') attempt.missing = deps.missing?.();
      } catch (err) {
        attempt = { ok: false, error: (err as Error).message || String(err), missing: deps.missing?.() };
      }
    }
    const { device, reason } = settleDevice(choice, attempt);
    if (device === 'cpu' && llama) {
      await llama.dispose();
      llama = undefined;
    }
    if (device === 'cpu' && opts.device === 'cuda') log(reason);
    llama ??= await load({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
    return { llama, device, deviceReason: reason };
  }

  /** One model; several models of one service share a `backend` (then disposing it is the caller's). */
  static async load(
    opts: EngineOptions,
    log: (line: string) => void = () => undefined,
    shared?: Backend,
  ): Promise<Engine> {
    // The template renderer's process starts while the model loads (template-bound.ts).
    startTemplateRenderer();
    const { llama, device, deviceReason } = shared ?? (await Engine.backend(opts, log));
    const model = await llama.loadModel({
      modelPath: opts.modelPath,
      // 'auto': as many layers as fit in the GPU's free memory (llama.cpp's estimate), the rest on
      // the CPU; LLM_GPU_LAYERS can ask for a number or 'max' instead.
      gpuLayers: device === 'cuda' ? (opts.gpuLayers ?? 'auto') : 0,
      // The verified file is read once into memory rather than mapped: a file changed after the
      // check cannot change the weights under a running model.
      useMmap: false,
      loadSignal: opts.loadSignal,
    });
    // A model whose context cannot be made is unloaded again: nothing half-loaded stays.
    const context = await makeContext(model, opts).catch(async (err: unknown) => {
      await model.dispose();
      throw err;
    });
    const trained = model.trainContextSize;
    const contextSize = Math.min(opts.contextSize, trained);
    const ftype = model.fileInfo.metadata.general?.file_type as number | undefined;
    const info: EngineInfo = {
      model: opts.name,
      architecture: String(model.fileInfo.metadata.general?.architecture ?? 'unknown'),
      contextLength: contextSize,
      trainedContextLength: trained,
      quantisation: ftype === undefined ? 'unknown' : (GGML_TYPES[ftype] ?? `type ${ftype}`),
      parameters: model.fileInsights.totalParameters ?? 0,
      sizeBytes: model.size,
      device,
      deviceReason,
      gpuLayers: model.gpuLayers,
      threads: context.currentThreads,
      parallel: opts.parallel,
    };
    let chatWrapper: ChatWrapper;
    try {
      // The renderer's start is not counted in the checks' deadline.
      await templateRendererReady();
      chatWrapper = resolveWrapper(model, opts);
    } catch (err) {
      // Nothing half-loaded stays: a model refused here is unloaded again.
      await context.dispose();
      await model.dispose();
      throw err;
    }
    const promptCap = opts.maxPromptChars ?? MAX_PROMPT_CHARS;
    const engine = new Engine(llama, model, context, info, chatWrapper, !shared, promptCap);
    engine.template =
      opts.chatTemplate ?? (model.fileInfo.metadata.tokenizer as { chat_template?: string })?.chat_template;
    return engine;
  }

  detokenize(tokens: readonly number[]): string {
    // biome-ignore lint/suspicious/noExplicitAny: Token is a branded number
    return this.model.detokenize(tokens as any);
  }

  /** Tokens of a plain prompt as the completion endpoint evaluates it (with BOS when the model adds one). */
  tokenize(text: string) {
    return this.model.tokenize(text);
  }

  async grammar(schema: Record<string, unknown>): Promise<LlamaGrammar> {
    try {
      // biome-ignore lint/suspicious/noExplicitAny: node-llama-cpp validates the schema itself
      return await this.llama.createGrammarForJsonSchema(schema as any);
    } catch (err) {
      throw new SchemaError(`response_format.json_schema.schema is not supported: ${(err as Error).message}`);
    }
  }

  private budget(promptTokens: number, maxTokens: number | undefined): number {
    const room = this.info.contextLength - promptTokens;
    if (room <= 0)
      throw new ContextOverflowError(
        `the prompt is ${promptTokens} tokens; this model's context is ${this.info.contextLength} tokens`,
      );
    if (maxTokens !== undefined && maxTokens > room)
      throw new ContextOverflowError(
        `the prompt (${promptTokens} tokens) plus max_tokens (${maxTokens}) is more than this model's context of ${this.info.contextLength} tokens`,
      );
    return maxTokens ?? room;
  }

  private async withSequence<T>(work: (seq: LlamaContextSequence) => Promise<T>): Promise<T> {
    const seq = this.free.pop();
    if (!seq) throw new Error('no free sequence (the queue allows only `parallel` requests at once)');
    try {
      return await work(seq);
    } finally {
      this.free.push(seq);
    }
  }

  /** Chat: the model's own chat template (from the GGUF) renders the messages. */
  async chat(
    messages: ChatMessage[],
    s: Sampling,
    signal: AbortSignal,
    onText: (text: string) => void = () => undefined,
  ): Promise<Generation> {
    const history = historyOf(messages);
    // Tools the chat may call (tool-chat.ts): documented in the prompt, calls made by a grammar.
    const tools = toolOptions(this.chatWrapper, s.tools);
    const d = deadline(s.timeoutMs, signal);
    let promptTokens = 0;
    const g = this.generation(s, d, onText);
    try {
      await checkToolGrammars(this.llama, s.tools);
      const grammar = s.jsonSchema ? await this.grammar(s.jsonSchema) : undefined;
      // After a template was stopped, its renderer starts again: not counted in this chat's deadline.
      await templateRendererReady();
      return await this.withSequence(async (seq) => {
        const chat = new LlamaChat({
          contextSequence: seq,
          autoDisposeSequence: false,
          chatWrapper: tools.wrapper,
        });
        try {
          const tokens = chat.chatWrapper
            .generateContextState({ chatHistory: history, ...tools.state })
            .contextText.tokenize(this.model.tokenizer);
          promptTokens = tokens.length;
          const maxTokens = this.budget(promptTokens, s.maxTokens);
          // The prompt's evaluation stops at the deadline too (prefill.ts).
          if (!(await prefill(seq, tokens, d.signal))) return g.finish(aborted, promptTokens);
          const r: LlamaChatResponse = await chat.generateResponse(history, {
            ...g.options(maxTokens, grammar, seq),
            ...tools.options,
            // Never drop the start of the conversation silently: overflow was refused above.
            contextShift: { strategy: 'eraseFirstResponseAndKeepFirstSystem' },
            // A grammar or functions, never both (request.ts refuses response_format with tools).
          } as Parameters<LlamaChat['generateResponse']>[1]);
          return g.finish(r, promptTokens);
        } finally {
          chat.dispose({ disposeSequence: false });
        }
      });
    } catch (err) {
      // LlamaChat throws the abort's reason when nothing was generated yet.
      if (d.passed()) return g.finish(aborted, promptTokens);
      throw err;
    } finally {
      d.clear();
    }
  }

  /** The options and answer of one generation (generation.ts), its tokens counted in `generated`. */
  private generation(s: Sampling, d: Deadline, onText: (text: string) => void) {
    return generation(s, d, onText, (n) => {
      this.generated += n;
    });
  }

  /** Plain completion of a prompt. */
  async complete(
    prompt: string,
    s: Sampling,
    signal: AbortSignal,
    onText: (text: string) => void = () => undefined,
  ): Promise<Generation> {
    const d = deadline(s.timeoutMs, signal);
    try {
      const tokens = this.model.tokenize(prompt);
      // LlamaCompletion puts BOS in front of the prompt when the model wants one: count it.
      const promptTokens = tokens.length + (this.model.tokens.shouldPrependBosToken ? 1 : 0);
      const maxTokens = this.budget(promptTokens, s.maxTokens);
      const grammar = s.jsonSchema ? await this.grammar(s.jsonSchema) : undefined;
      const g = this.generation(s, d, onText);
      return await this.withSequence(async (seq) => {
        // As LlamaCompletion evaluates it (BOS first when the model wants one), sliced (prefill.ts).
        const bos = this.model.tokens.bos;
        const full = this.model.tokens.shouldPrependBosToken && bos !== null ? [bos, ...tokens] : tokens;
        if (!(await prefill(seq, full, d.signal))) return g.finish(aborted, promptTokens);
        const c: LlamaCompletionT = new LlamaCompletion({ contextSequence: seq, autoDisposeSequence: false });
        try {
          const r = await c.generateCompletionWithMeta(tokens, {
            ...g.options(maxTokens, grammar, seq),
            disableContextShift: true,
            // LlamaCompletion keeps at most the context less this many of a prompt's tokens, silently
            // dropping its start (a tenth of the context by default, even with no shift), and would
            // evaluate the rest again past prefill's deadline; budget() already refused what cannot fit.
            contextShiftSize: 1,
          });
          return g.finish(r, promptTokens);
        } finally {
          c.dispose({ disposeSequence: false });
        }
      });
    } finally {
      d.clear();
    }
  }

  /**
   * The model's embedding context (embed.ts), made once at the first call: one sequence of this
   * engine's context. One that failed to be made (EmbeddingUnsupportedError: the model cannot
   * embed) is tried again by the next call.
   */
  embedder(): Promise<Embedder> {
    this.embedding ??= Embedder.create(this.model, {
      contextSize: this.info.contextLength,
      threads: this.info.threads,
      maxChars: this.textCap,
    }).catch((err: unknown) => {
      this.embedding = undefined;
      throw err;
    });
    return this.embedding;
  }

  async dispose(): Promise<void> {
    const embedding = this.embedding;
    this.embedding = undefined;
    if (embedding) await embedding.then((e) => e.dispose()).catch(() => undefined);
    await this.context.dispose();
    await this.model.dispose();
    if (this.ownsLlama) await this.llama.dispose();
  }
}
