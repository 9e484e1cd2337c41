/**
 * An llm-shaped service for the memory-per-setting tests (settings-memory, settings-memory-model):
 * LLM_CONTEXT × LLM_PARALLEL grow its 64 MiB limit, on a box whose /proc/meminfo leaves 200 MiB.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { planFor } from '../../src/core/services/lifecycle.js';
import { findRegistration } from '../../src/core/services/registry.js';
import type { ServiceSpec } from '../../src/core/services/schema.js';
import { image, register, tokenRoot } from '../helpers/client-token-box.js';

/** The manifest's service (for parseService): `bytes` a token of context per sequence, LLM_CONTEXT from `contextMin`. */
export const llmShaped = (bytes: string, contextMin: number) => ({
  image,
  env: { LLM_CONTEXT: '4096', LLM_PARALLEL: '1' },
  settings: {
    LLM_CONTEXT: { type: 'integer', min: contextMin, max: 131072, description: 'Context' },
    LLM_PARALLEL: { type: 'integer', min: 1, max: 8, description: 'At once' },
  },
  resources: { memory: '64m', memoryPerSetting: { of: ['LLM_CONTEXT', 'LLM_PARALLEL'], bytes } },
});

/** The same llm serving the box's model packages (model-* at /models): its figure a token read from their headers. */
export const modelServingLlm = () => ({
  ...llmShaped('model', 64),
  packageMounts: [{ packages: 'model-*', source: 'models', target: '/models' }],
});

/** A new box (`prepare` runs on it first) with `spec` registered as `name`, 200 MiB of memory left. */
export async function boxWith200MiB(
  tag: string,
  name: string,
  spec: ServiceSpec,
  prepare?: (root: string) => Promise<void>,
): Promise<string> {
  const root = tokenRoot(tag);
  await prepare?.(root);
  await register(root, name, spec);
  mkdirSync(path.join(root, 'proc'), { recursive: true });
  writeFileSync(
    path.join(root, 'proc/meminfo'),
    'MemTotal: 4194304 kB\nMemFree: 1 kB\nMemAvailable: 204800 kB\n',
  );
  return root;
}

/** The memory limit the plan gives `name` on `root`. */
export const plannedLimit = async (root: string, name: string): Promise<number> =>
  (await planFor({ engine: undefined as never, root }, (await findRegistration(root, name))!)).summary
    .memoryBytes;
