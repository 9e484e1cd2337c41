import { afterAll, beforeAll } from 'vitest';
import type { KitServer } from '../../modules/kit/server/index.js';
import type { ApiOptions } from '../../modules/llm/server/api.js';
import type { Engine } from '../../modules/llm/server/engine.js';
import { loadTinyLlama, serveEngine } from './tiny-engine.js';

/**
 * An engine (`load`: the tiny llama by default) served on `socket` for the cases of a test file, as
 * serveEngine serves it (`over` its options): loaded and listening before the first case, drained and disposed after the
 * last. `engine` is the engine, once loaded.
 */
export function servedForFile(
  socket: string,
  load: () => Promise<Engine> = () => loadTinyLlama(),
  over: Partial<ApiOptions> = {},
): { readonly engine: Engine } {
  let engine: Engine | undefined;
  let kit: KitServer | undefined;
  beforeAll(async () => {
    engine = await load();
    kit = await serveEngine(engine, socket, over);
  });
  afterAll(async () => {
    await kit?.drain(1000);
    await engine?.dispose();
  });
  return {
    get engine() {
      if (!engine) throw new Error('the engine is not loaded yet (read it inside a case)');
      return engine;
    },
  };
}
