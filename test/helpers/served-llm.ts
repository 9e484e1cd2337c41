/**
 * The llm service's bundle as its own process (as in the container, without the sandbox), serving
 * the tiny llama fixture, for the tests that attack it through its socket.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleServer, placeRuntimeFiles } from '../../modules/llm/package.js';
import { F32, FIXTURE_MODELS } from '../llm/helpers.js';
import { type ServedProcess, spawnServed } from './served-module.js';

/** A character that must not reach a terminal as it is (what the kit's log escapes). */
export const UNSAFE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** Bundles the service, with its runtime files, under `dir`; returns the bundle's path. */
export async function bundleLlm(dir: string): Promise<string> {
  const server = join(dir, 'app/llm/dist/server.mjs');
  await bundleServer(server);
  placeRuntimeFiles(join(dir, 'app'));
  return server;
}

/**
 * Serves the tiny llama's f32 file (`tiny-llama/tiny-llama-f32.gguf` in the fixtures, or a copy
 * of it under `models` as `NAME/tiny-llama-f32.gguf`), its hash pinned, on one CPU thread.
 */
export function serveLlm(
  server: string,
  socket: string,
  models = { dir: FIXTURE_MODELS, name: 'tiny-llama' },
): Promise<ServedProcess> {
  const sha = createHash('sha256').update(readFileSync(F32)).digest('hex');
  return spawnServed(
    server,
    {
      LLM_MODEL_DIR: models.dir,
      LLM_MODEL: models.name,
      LLM_FILES_ROOT: models.dir,
      LLM_FILES: JSON.stringify({ [`${models.name}/tiny-llama-f32.gguf`]: sha }),
      LLM_DEVICE: 'cpu',
      LLM_THREADS: '1',
    },
    socket,
  );
}

/** POSTs `body` as JSON over a unix socket (post-json.ts). */
export { postJson } from './post-json.js';
