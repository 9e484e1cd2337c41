/**
 * Embeddings from a loaded model, as Ollama (/api/embed, /api/embeddings) and llama.cpp's server
 * (/v1/embeddings) serve them from any model they hold: node-llama-cpp's own embedding context
 * (`model.createEmbeddingContext()`, `getEmbeddingFor`), one sequence of the service's context size,
 * made at a model's first embedding request and disposed with the model (engine.ts). Its memory is
 * admitted by the model pool like a model's (model-pool.ts, estimate.ts `embeddingBytes`).
 *
 * Inputs are evaluated one after another on the one sequence (node-llama-cpp locks it too); the
 * deadline and the client's leaving are looked at between two inputs (one input's evaluation is at
 * most a context's). Tokenising runs on the event loop, so a text is refused (or, truncating, cut)
 * at the engine's bound of characters before it is tokenised, and the loop yields between inputs.
 */
import { setImmediate as yieldLoop } from 'node:timers/promises';
import type { LlamaEmbeddingContext, LlamaModel, Token } from 'node-llama-cpp';

/** node-llama-cpp says this model cannot embed (an encoder-decoder model): a 400. */
export class EmbeddingUnsupportedError extends Error {}
/** An input longer than the context with truncation off: a 400 naming the input. */
export class EmbeddingInputTooLongError extends Error {
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
  }
}
/** A token id outside the model's vocabulary (the OpenAI route's token arrays): a 400. */
export class EmbeddingTokenError extends Error {}
/** The batch passed its deadline before every input was embedded (nothing is answered). */
export class EmbeddingTimeoutError extends Error {}

/** One input: a text, or token ids (OpenAI's `input` of integers). */
export type EmbedInput = string | readonly number[];

export interface EmbedBatch {
  /** The model's raw vectors (not normalised), one per input, in the inputs' order. */
  vectors: number[][];
  /** Tokens evaluated, the begin and end tokens the model adds included (Ollama's prompt_eval_count). */
  tokens: number;
}

export interface EmbedOptions {
  /** Cut an input longer than the context to what it holds (Ollama's default), else refuse it. */
  truncate: boolean;
  /** The client's signal: aborted, the batch stops between two inputs. */
  signal: AbortSignal;
  /** Milliseconds the batch may take (the generation deadline); past it, EmbeddingTimeoutError. */
  timeoutMs?: number;
}

export class Embedder {
  private constructor(
    private readonly model: LlamaModel,
    private readonly context: LlamaEmbeddingContext,
    /** The context's tokens: an input takes fewer (node-llama-cpp refuses one of as many). */
    readonly contextSize: number,
    /** The most characters of one text tokenised (the engine's maxPromptChars). */
    private readonly maxChars: number,
    /** Token ids the vocabulary holds (0 to vocab - 1). */
    private readonly vocab: number,
  ) {}

  /** The model's embedding context, or EmbeddingUnsupportedError when node-llama-cpp says it cannot embed. */
  static async create(
    model: LlamaModel,
    o: { contextSize: number; threads: number; maxChars: number },
  ): Promise<Embedder> {
    const contextSize = Math.min(o.contextSize, model.trainContextSize);
    const context = await model.createEmbeddingContext({ contextSize, threads: o.threads }).catch((err) => {
      // node-llama-cpp's own refusal (3.21: "Computing embeddings is not supported for
      // encoder-decoder models."), before it makes any context.
      if (/not supported/i.test((err as Error).message))
        throw new EmbeddingUnsupportedError(
          `this model cannot make embeddings (node-llama-cpp: ${(err as Error).message}): use another model for them`,
        );
      throw err;
    });
    let vocab = 0;
    for (const _ of model.iterateAllTokens()) vocab++;
    return new Embedder(model, context, contextSize, o.maxChars, vocab);
  }

  /** The length of one embedding: the model's embedding size. */
  get size(): number {
    return this.model.embeddingVectorSize;
  }

  /** The vectors of `inputs`, in order; EmbeddingTimeoutError past the deadline, AbortError if the client left. */
  async embed(inputs: readonly EmbedInput[], o: EmbedOptions): Promise<EmbedBatch> {
    const began = performance.now();
    const vectors: number[][] = [];
    let tokens = 0;
    for (const [i, input] of inputs.entries()) {
      o.signal.throwIfAborted();
      if (o.timeoutMs !== undefined && performance.now() - began > o.timeoutMs)
        throw new EmbeddingTimeoutError(
          `the embeddings took longer than this request's deadline of ${o.timeoutMs / 1000} s after ${i} of ${inputs.length} inputs: send fewer or shorter inputs at once`,
        );
      const ids = this.tokens(input, i, o.truncate);
      tokens += this.context.calculateInputLength(ids);
      const { vector } = await this.context.getEmbeddingFor(ids);
      vectors.push([...vector]);
      // Tokenising the next input runs on the event loop: let /health and other requests in first.
      await yieldLoop();
    }
    return { vectors, tokens };
  }

  /** An input's tokens, within the context (cut when truncating, else refused). */
  private tokens(input: EmbedInput, i: number, truncate: boolean): Token[] {
    let ids: Token[];
    if (typeof input === 'string') {
      let text = input;
      if (text.length > this.maxChars) {
        if (!truncate)
          throw this.tooLong(i, `more than the ${this.maxChars} characters its context can hold`);
        text = text.slice(0, this.maxChars);
      }
      ids = this.model.tokenize(text);
    } else {
      const vocab = this.vocab;
      for (const t of input)
        if (!Number.isInteger(t) || t < 0 || t >= vocab)
          throw new EmbeddingTokenError(`input[${i}] holds the token ${t}, not one of this model's ${vocab}`);
      ids = [...input] as Token[];
    }
    // The begin and end tokens node-llama-cpp adds count; an input must leave one token free.
    const added = this.context.calculateInputLength(ids) - ids.length;
    const room = this.contextSize - 1 - added;
    if (ids.length > room) {
      if (!truncate) throw this.tooLong(i, `${ids.length + added} tokens`);
      if (room <= 0) throw this.tooLong(i, 'only its begin and end tokens after truncation');
      ids = ids.slice(0, room);
    }
    return ids;
  }

  private tooLong(i: number, what: string): EmbeddingInputTooLongError {
    return new EmbeddingInputTooLongError(
      `input ${i} is ${what}; this model's context for embeddings is ${this.contextSize} tokens: send shorter inputs, or let them be truncated (truncate: true)`,
      i,
    );
  }

  dispose(): Promise<void> {
    return this.context.dispose();
  }
}

/** The vector scaled to length 1 (Euclidean; a zero vector as it is), as Ollama's /api/embed answers. */
export function normalised(v: readonly number[]): number[] {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  return norm > 0 ? v.map((x) => x / norm) : [...v];
}

/** The first `dimensions` values, normalised again (Ollama's and OpenAI's `dimensions`). */
export function shortened(v: readonly number[], dimensions: number | undefined): number[] {
  return dimensions === undefined || dimensions >= v.length ? [...v] : normalised(v.slice(0, dimensions));
}
