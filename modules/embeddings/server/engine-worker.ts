/**
 * The engine in a worker thread: tokenising and inference run there, so the event loop that
 * answers /health and accepts connections never waits for a batch. The worker runs the same
 * bundle (server.mjs) as the main thread; main.ts tells the two apart.
 */
import type { ResourceLimits } from 'node:worker_threads';
import { serveJobs, startPool, WorkerJobError } from '../../kit/server/index.js';
import {
  createEngine,
  type Embeddings,
  type EmbedOptions,
  type Engine,
  type EngineOptions,
  InputTooLongError,
  type ModelInfo,
} from './engine.js';

export type WorkerInit = Omit<EngineOptions, 'log'>;

/** In the worker thread: load the model, then embed one batch per job. */
export function runEngineWorker(): void {
  serveJobs<WorkerInit, ModelInfo>(async (data, log) => {
    const engine = await createEngine({ ...data, log });
    return {
      ready: engine.info,
      handle: (p) => {
        const { texts, options } = p as { texts: string[]; options: EmbedOptions };
        return engine.embed(texts, options);
      },
    };
  });
}

/** On the main thread: an Engine whose work happens in the worker started from `file`. */
export async function startEngineWorker(
  file: URL,
  init: WorkerInit,
  log: (line: string) => void,
  resourceLimits?: ResourceLimits,
): Promise<Engine & { healthy(): boolean }> {
  const pool = await startPool<WorkerInit, ModelInfo>({ file, data: init, log, resourceLimits });
  return {
    info: pool.ready,
    healthy: pool.healthy,
    embed: async (texts, options) => {
      try {
        return (await pool.run({ texts, options })) as Embeddings;
      } catch (err) {
        if (err instanceof WorkerJobError && err.name === 'InputTooLongError') {
          const f = err.fields as { index: number; length: number; max: number };
          throw new InputTooLongError(f.index, f.length, f.max);
        }
        throw err;
      }
    },
    dispose: () => pool.close(),
  };
}
