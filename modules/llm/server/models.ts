/**
 * Which models the service serves and which one by default. Two sources, from the environment the
 * services layer sets:
 *
 * - the `model-NAME` packages installed beside the module (BLUEPRINT_PACKAGES, written by the
 *   services layer from the package database: each package's folder inside the container and the
 *   SHA-256 of every file its signed manifest lists; docs/package-mounts.md);
 * - a model built into the llm package itself (LLM_MODEL under LLM_MODEL_DIR, its hashes in
 *   LLM_FILES, part of the llm package's own signed manifest).
 */
import { join } from 'node:path';
import { parseFileHashes } from '../../kit/server/index.js';

export interface ModelSource {
  /** The name clients use (`model`): the package's folder name (`tiny-llama` for model-tiny-llama). */
  id: string;
  /** The model folder as this process sees it. */
  dir: string;
  /** Signed SHA-256 values, keyed relative to `filesRoot`. */
  files: Record<string, string> | undefined;
  /** Where it came from, for the log: `model-tiny-llama 1.0.0`, or `the llm package`. */
  from: string;
}

/** Parses BLUEPRINT_PACKAGES: `[{name, version, folder, path, files}]`. */
export function packagedModels(json: string, filesRoot: string): ModelSource[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new Error(`BLUEPRINT_PACKAGES is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(value)) throw new Error('BLUEPRINT_PACKAGES must be a list');
  return value.map((p: Record<string, unknown>, i) => {
    const ok =
      p &&
      typeof p.name === 'string' &&
      typeof p.version === 'string' &&
      typeof p.folder === 'string' &&
      /^[a-z0-9][a-z0-9-]*$/.test(p.folder) &&
      typeof p.path === 'string' &&
      p.path.startsWith('/');
    if (!ok) throw new Error(`BLUEPRINT_PACKAGES[${i}] is not {name, version, folder, path, files}`);
    return {
      id: p.folder as string,
      dir: join(filesRoot, p.path as string),
      files: parseFileHashes(JSON.stringify(p.files), `the signed files of ${p.name}`),
      from: `${p.name} ${p.version}`,
    };
  });
}

/**
 * Every model to serve. `verify`: whether hashes are required (LLM_VERIFY=off is for development).
 * No model at all is an error that says what to install.
 */
export function modelSources(env: NodeJS.ProcessEnv, verify = true): ModelSource[] {
  const filesRoot = env.LLM_FILES_ROOT ?? '/';
  const out = env.BLUEPRINT_PACKAGES ? packagedModels(env.BLUEPRINT_PACKAGES, filesRoot) : [];
  // The model built into the llm package (`package.ts --model`); its hashes are in LLM_FILES.
  if (env.LLM_MODEL && (env.LLM_FILES || (!env.BLUEPRINT_PACKAGES && !verify))) {
    if (out.some((m) => m.id === env.LLM_MODEL))
      throw new Error(`model ${env.LLM_MODEL} is both built in and installed as a package`);
    out.push({
      id: env.LLM_MODEL,
      dir: join(env.LLM_MODEL_DIR ?? '/models', env.LLM_MODEL),
      files: verify ? parseFileHashes(env.LLM_FILES, 'LLM_FILES') : undefined,
      from: 'the llm package',
    });
  }
  if (out.length === 0)
    throw new Error(
      'no model to serve: install a model package (bpkg install model-NAME; bpkg search model- lists them), then restart the service',
    );
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The default model, first of the list: the one the admin named (the `default-model` file in the
 * module's data folder), else LLM_MODEL from the manifest, else the first by name. A name that is
 * not installed is reported in `warning` and passed over, so removing that package never stops
 * the service from starting.
 */
export function orderByDefault(
  models: ModelSource[],
  configured: string | undefined,
  manifestDefault: string | undefined,
): { models: ModelSource[]; warning?: string } {
  const ids = models.map((m) => m.id);
  let warning: string | undefined;
  let chosen = models[0]!.id;
  if (manifestDefault && ids.includes(manifestDefault)) chosen = manifestDefault;
  if (configured) {
    if (ids.includes(configured)) chosen = configured;
    else
      warning = `default-model names '${configured}', which is not installed (installed: ${ids.join(', ')}); serving '${chosen}' by default`;
  }
  return {
    models: [models.find((m) => m.id === chosen)!, ...models.filter((m) => m.id !== chosen)],
    ...(warning ? { warning } : {}),
  };
}
