/**
 * The llm module with the tiny llama built in (`package.ts --model`, 256 tokens of context), built,
 * signed and installed on a test box by moduleE2E (its own beforeAll/afterAll): what the llm tests
 * that run the real module in Podman start from (e2e.test.ts, ollama-podman.test.ts).
 */
import { join } from 'node:path';
import { makePackageSource } from '../../modules/llm/package.js';
import { FIXTURE_MODELS } from '../llm/helpers.js';
import { ownImageContents } from '../services/helpers.js';
import { type ModuleE2E, moduleE2E } from './module-e2e.js';

/** `model`: another model folder (one GGUF) built in instead, served with `context` tokens. */
export function llmModuleE2E(
  prefix: string,
  name: string,
  over: { model?: (work: string) => string; context?: number } = {},
): ModuleE2E {
  return moduleE2E({
    prefix,
    install: [name],
    sources: async (work) => {
      const { dir } = await makePackageSource({
        model: over.model ? over.model(work) : join(FIXTURE_MODELS, 'tiny-llama'),
        out: join(work, 'src'),
        name,
        context: over.context ?? 256,
      });
      ownImageContents(dir); // its image is its own, not the demo's llm's (the same contents)
      return [dir];
    },
  });
}
