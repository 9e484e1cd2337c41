/**
 * The tiny llama loaded in this process, as the llm tests that need its engine (not the whole
 * service) load it: one CPU thread, one sequence, the fixture's 256 tokens of context. Kept apart
 * from helpers.ts so that tests which only speak to a socket do not load node-llama-cpp.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLog, type KitServer } from '../../modules/kit/server/index.js';
import { type ApiOptions, createApiServer } from '../../modules/llm/server/api.js';
import { Engine, type EngineOptions } from '../../modules/llm/server/engine.js';
import { F32 } from './helpers.js';

/** Loads the tiny llama's f32 file; `over` changes any option (another file, context, template…). */
export const loadTinyLlama = (over: Partial<EngineOptions> = {}): Promise<Engine> =>
  Engine.load({
    modelPath: F32,
    name: 'tiny-llama',
    device: 'cpu',
    deviceReason: 'test',
    contextSize: 256,
    parallel: 1,
    threads: 1,
    ...over,
  });

/**
 * A copy of the tiny llama under `dir` whose `llama.context_length` says `context` tokens: the
 * fixture's 256 are too few to make a prompt that takes measurably long or one past a bound.
 */
export function tinyLlamaWithContext(dir: string, context: number): string {
  const gguf = Buffer.from(readFileSync(F32));
  const key = Buffer.from('llama.context_length');
  const at = gguf.indexOf(key) + key.length;
  if (gguf.readUInt32LE(at) !== 4 || gguf.readUInt32LE(at + 4) !== 256)
    throw new Error('the fixture is not the tiny llama this test patches');
  gguf.writeUInt32LE(context, at + 4);
  const file = join(dir, 'long-llama.gguf');
  writeFileSync(file, gguf);
  return file;
}

/** The llm API served by `engine` on `socket` with its log dropped, as the attack tests serve it. */
export async function serveEngine(
  engine: Engine,
  socket: string,
  over: Partial<ApiOptions> = {},
): Promise<KitServer> {
  const kit = createApiServer(engine, {
    log: createLog({ name: 'test', write: () => undefined }),
    maxTokensCap: 256,
    generationTimeoutS: 60,
    ...over,
  });
  await kit.listen(socket);
  return kit;
}
