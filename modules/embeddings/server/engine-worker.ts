/**
 * The engine's threads. The model runs on the main thread, the only copy of it in the process; a
 * worker thread (started from the same bundle, server.mjs; main.ts tells the two apart) holds the
 * tokenizer alone and tokenises the requests too long to tokenise here at once.
 *
 * Why the model is on the event loop (issue 17). A query a client waits for (one short input: a
 * retrieval, a search box) paid 0.3–0.7 ms for the hop to a worker holding the model and back: two
 * wake-ups of sleeping threads, each waiting for a core on a busy box. Running it here instead
 * needed a second copy of the model (~135 MiB at rest for the MiniLM shape), since onnxruntime-node
 * 1.30 runs `session.run` synchronously on its calling thread and a session cannot move between
 * threads. With one copy here, what must not happen is a large batch holding the event loop, which
 * answers /health and accepts connections, for its whole length; so the event loop gets a turn
 * between two model runs, and a batch runs in runs of at most EMBEDDINGS_RUN_TOKENS padded tokens
 * (engine.ts): /health waits at most one run. Tokenising is the other long piece (an input may be
 * up to max_input_chars, a request 64 of them): a request over `tokenizeChars` characters is
 * tokenised in the worker, whose heap is bounded and restarted when over it, as before.
 */
import type { ResourceLimits } from 'node:worker_threads';
import { serveJobs, startPool, WorkerJobError } from '../../kit/server/index.js';
import {
  createEngine,
  createTokenizer,
  type Engine,
  type EngineOptions,
  InputTooLongError,
  type Rows,
} from './engine.js';

export type WorkerInit = Omit<EngineOptions, 'log'>;

const chars = (texts: string[]) => texts.reduce((n, t) => n + t.length, 0);

/** In the worker thread: load the tokenizer, then tokenise one request's texts per job. */
export function runEngineWorker(): void {
  serveJobs<WorkerInit, Record<string, never>>(async (data) => {
    const tokenizer = await createTokenizer(data);
    return {
      ready: {},
      handle: async (p) => {
        const { texts, options } = p as { texts: string[]; options: Parameters<Engine['embed']>[1] };
        return tokenizer.tokenize(texts, options);
      },
    };
  });
}

export interface EngineWorker extends Engine {
  healthy(): boolean;
  /** Where a request's texts would be tokenised: here (up to `tokenizeChars`) or in the worker. */
  placement(texts: string[]): 'main' | 'worker';
  /** The most characters a request may have to be tokenised on the main thread. */
  tokenizeChars: number;
}

/** A turn of the event loop: what is waiting (a /health, an accept, a body) runs first. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * On the main thread: the model, loaded here, and the tokenising worker started from `file`. A
 * request of up to `tokenizeChars` characters is tokenised here (a query, a batch of sentences:
 * tens of microseconds to a few milliseconds), a longer one in the worker; either way its rows go
 * through the model here, a turn of the event loop between two runs. Callers run one request at a
 * time (the kit's queue).
 */
export async function startEngineWorker(
  file: URL,
  init: WorkerInit,
  log: (line: string) => void,
  resourceLimits?: ResourceLimits,
  tokenizeChars = 16_384,
): Promise<EngineWorker> {
  const engine = await createEngine({ ...init, log });
  const pool = await startPool<WorkerInit, Record<string, never>>({ file, data: init, log, resourceLimits });
  const placement = (texts: string[]): 'main' | 'worker' =>
    chars(texts) <= tokenizeChars ? 'main' : 'worker';
  const tokenize = async (texts: string[], options: Parameters<Engine['embed']>[1]): Promise<Rows> => {
    if (placement(texts) === 'main') return engine.tokenize(texts, options);
    try {
      return (await pool.run({ texts, options })) as Rows;
    } catch (err) {
      if (err instanceof WorkerJobError && err.name === 'InputTooLongError') {
        const f = err.fields as { index: number; length: number; max: number };
        throw new InputTooLongError(f.index, f.length, f.max);
      }
      throw err;
    }
  };
  return {
    info: engine.info,
    tokenizeChars,
    healthy: pool.healthy,
    placement,
    embed: async (texts, options) => {
      if (texts.length === 0) return { vectors: [], tokens: [] };
      const rows = await tokenize(texts, options);
      const vectors = await engine.embedRows(rows, options.normalize ?? true, turn);
      return { vectors, tokens: rows.map((r) => r.length) };
    },
    dispose: async () => {
      await pool.close();
      await engine.dispose();
    },
  };
}
