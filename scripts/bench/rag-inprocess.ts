/**
 * The rag pipeline in one process, the baseline of scripts/bench/rag.mjs: the same steps and code
 * the four sandboxed services run, called as functions instead of over three sockets.
 *
 *   ingest    the rag module's own parse (pdf.js, marked, htmlparser2) and chunking (chunk size from
 *             the model's limit, as the rag server picks it), the embeddings module's engine
 *             (transformers.js on ONNX Runtime, same model and thread count), then the vectors
 *   retrieve  an exact cosine scan over normalised vectors: what the vectors module does below its
 *             full-scan threshold (the bench's corpus is below it)
 *   chat      retrieval, the rag module's prompt (withContext) shrunk as rag shrinks it until it fits
 *             the model's context, node-llama-cpp's LlamaChat with the model's template resolved
 *             once, the context no longer than the model was trained for, as the llm module generates
 *
 * Not run directly: rag.mjs bundles it with esbuild (the module sources import `.js` names).
 */
import { type ChatHistoryItem, getLlama, LlamaChat, LlamaLogLevel, resolveChatWrapper } from 'node-llama-cpp';
import { createEngine, InputTooLongError } from '../../modules/embeddings/server/engine.ts';
import { shrink, withContext } from '../../modules/rag/server/chat.ts';
import { type Chunk, chunkSections, splitChunk } from '../../modules/rag/server/chunk.ts';
import { type DocumentKind, parseDocument } from '../../modules/rag/server/parse.ts';

/** The kit's lean HTTP/1.1 client: the bench asks rag with it too, to tell the client's share apart. */
export { UnixHttpClient } from '../../modules/kit/client/unix-http.ts';
/** The bench's throw-away repository key, made as `blueprint repo keygen` makes one. */
export { generateSigningKey } from '../../src/core/pkg/signing.ts';

export interface PipelineOptions {
  modelDir: string;
  model: string;
  gguf: string;
  threads: number;
  context: number;
}

interface Stored {
  document: string;
  source: string;
  page: number | null;
  heading: string | null;
  text: string;
}

export async function createPipeline(o: PipelineOptions) {
  const engine = await createEngine({
    modelDir: o.modelDir,
    model: o.model,
    device: 'cpu',
    threads: o.threads,
    log: () => undefined,
  });
  // As the rag server: 256 tokens at most, the model's limit less its two special tokens.
  const tokens = Math.max(8, Math.min(256, engine.info.maxTokens - 2));
  const overlap = Math.min(32, Math.floor(tokens / 4));
  const dim = engine.info.dimension;
  let vectors = new Float32Array(1024 * dim);
  const stored: Stored[] = [];

  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: o.gguf });
  // As the llm module (modules/llm/server/engine.ts): the context no longer than the model was
  // trained for (the tiny llama: 256 tokens), and the chat wrapper resolved once.
  const contextSize = Math.min(o.context, model.trainContextSize);
  const context = await model.createContext({ contextSize, threads: o.threads, flashAttention: false });
  const sequence = context.getSequence();
  const chatWrapper = resolveChatWrapper(model);

  /**
   * As rag's Embedder.chunks (modules/rag/server/backends.ts): without truncation; a batch the
   * model refuses is halved, a single chunk it refuses split in two (the estimate in chunk.ts can
   * undercount a tokenizer, as the MiniLM shape's grown vocabulary does).
   */
  async function embedChunks(batch: Chunk[]): Promise<{ chunk: Chunk; vector: Float32Array }[]> {
    try {
      const { vectors: vs } = await engine.embed(
        batch.map((c) => c.text),
        { truncate: false, normalize: true },
      );
      return batch.map((chunk, i) => ({ chunk, vector: vs[i]! }));
    } catch (err) {
      if (!(err instanceof InputTooLongError)) throw err;
      if (batch.length > 1) {
        const mid = Math.ceil(batch.length / 2);
        return [...(await embedChunks(batch.slice(0, mid))), ...(await embedChunks(batch.slice(mid)))];
      }
      const halves = splitChunk(batch[0]!);
      if (!halves) throw err;
      return [...(await embedChunks([halves[0]])), ...(await embedChunks([halves[1]]))];
    }
  }

  /** The document's pages and the chunks it made (the bench checks both ways made as many). */
  async function ingest(
    kind: DocumentKind,
    bytes: Uint8Array,
    source: string,
  ): Promise<{ pages: number; chunks: number }> {
    const before = stored.length;
    const parsed = await parseDocument(kind, bytes, 2000);
    const chunks = chunkSections(parsed.sections, { tokens, overlap });
    for (let i = 0; i < chunks.length; i += 32) {
      const batch = await embedChunks(chunks.slice(i, i + 32));
      batch.forEach(({ chunk: c, vector }) => {
        if ((stored.length + 1) * dim > vectors.length) {
          const next = new Float32Array(vectors.length * 2);
          next.set(vectors);
          vectors = next;
        }
        vectors.set(vector, stored.length * dim);
        stored.push({ document: source, source, page: c.page, heading: c.heading, text: c.text });
      });
    }
    return { pages: parsed.pages ?? 1, chunks: stored.length - before };
  }

  /** `timing` gets the embedding's and the scan's milliseconds, as rag's Server-Timing has them. */
  async function retrieve(query: string, k: number, timing?: { embed: number; search: number }) {
    const t0 = performance.now();
    const q = (await engine.embed([query], { truncate: true, normalize: true })).vectors[0]!;
    const t1 = performance.now();
    const scores: { i: number; score: number }[] = [];
    for (let i = 0; i < stored.length; i++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += q[d]! * vectors[i * dim + d]!;
      scores.push({ i, score: s });
    }
    scores.sort((a, b) => b.score - a.score);
    const top = scores.slice(0, k).map(({ i, score }) => ({ ...stored[i]!, score }));
    if (timing) {
      timing.embed = t1 - t0;
      timing.search = performance.now() - t1;
    }
    return top;
  }

  /** Milliseconds from the question to the answer's first text. */
  async function timeToFirstToken(question: string, k: number, maxTokens: number): Promise<number> {
    const t0 = performance.now();
    let chunks = await retrieve(question, k);
    // The context the sandboxed pipeline ends up giving the model: rag shrinks it (chat.ts
    // shrink) while the llm refuses the prompt as longer than its context with max_tokens.
    let history: ChatHistoryItem[];
    for (;;) {
      const messages = withContext([{ role: 'user', content: question }], chunks) as {
        role: string;
        content: string;
      }[];
      history = [
        ...messages.map((m) => ({ type: m.role as 'system' | 'user', text: m.content })),
        { type: 'model' as const, response: [] },
      ];
      const promptTokens = chatWrapper
        .generateContextState({ chatHistory: history })
        .contextText.tokenize(model.tokenizer).length;
      if (promptTokens + maxTokens <= contextSize) break;
      const next = shrink(chunks);
      if (!next) throw new Error(`the question alone does not fit the model's ${contextSize} tokens`);
      chunks = next;
    }
    let first = 0;
    const chat = new LlamaChat({ contextSequence: sequence, autoDisposeSequence: false, chatWrapper });
    try {
      await chat.generateResponse(history, {
        maxTokens,
        temperature: 0,
        onTextChunk: () => {
          if (!first) first = performance.now();
        },
      });
    } finally {
      // The sequence keeps its tokens, as the llm module's does: the next prompt's common start
      // (the instruction) is not evaluated again, on either side.
      chat.dispose({ disposeSequence: false });
    }
    return (first || performance.now()) - t0;
  }

  return {
    ingest,
    retrieve,
    timeToFirstToken,
    close: async () => {
      await engine.dispose();
      await llama.dispose();
    },
  };
}
