import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { modelNeeds, shapeFromMetadata } from '../../../modules/llm/server/memory.js';
import type { PlannedPackageMount } from './package-mounts.js';
import type { LoadedRegistration } from './registry.js';
import { withSettings } from './settings.js';

/*
 * `resources.memoryPerSetting.bytes: "model"` (the catalog's llm, which serves the model-NAME
 * packages installed beside it): the bytes one token of context per sequence takes are not the
 * publisher's to know, they are the models'. Read from the GGUF header of each model the service
 * mounts (its signed file, in the installed package, opened without following a link): the KV
 * cache's width as the llm's own estimate has it (modules/llm/server/memory.ts), +25 % as the
 * built-in model's figure has (modules/llm/package.ts memoryPerToken), the largest of them: the
 * service loads any of them on demand within one limit. Loaded only for such a manifest, so no
 * other service's start reads a GGUF or loads this file.
 */

/** The model's figure, with the headroom package.ts gives a built-in model's. */
const HEADROOM = 1.25;

/**
 * More bytes than any model's one token of context per sequence takes (the largest known take a
 * few MiB): a header saying more describes no model, and its figure (1.7e39 from 2^64-1 layers)
 * would win the largest and take every other model's limit with it. Under it, the figure times the
 * llm's largest LLM_CONTEXT x LLM_PARALLEL (2^20) stays an exact byte count (under 2^53).
 */
const MAX_FIGURE = 4 * 1024 ** 3;

/** The registration with its settings applied, `model` bytes read from the models it mounts. */
export async function withSettingsOfModels(
  root: string,
  reg: LoadedRegistration,
  stored?: Record<string, string>,
  planned?: Promise<PlannedPackageMount[]>,
): Promise<LoadedRegistration> {
  if (reg.spec.resources.memoryPerSetting?.bytes !== 'model') return withSettings(root, reg, stored);
  const mounts = await (planned ?? import('./package-mounts.js').then((m) => m.planPackageMounts(root, reg)));
  return withSettings(root, reg, stored, await modelBytesPerToken(mounts));
}

/**
 * The most bytes one token of context per sequence takes among the mounted models' KV caches
 * (0 with none mounted, or none whose header says its shape: nothing to foresee, judged at load).
 */
export async function modelBytesPerToken(planned: PlannedPackageMount[]): Promise<number> {
  const { readGgufInfo } = await import('../models/gguf.js');
  let most = 0;
  for (const pkg of planned.flatMap((p) => p.packages)) {
    // The first part of a split model holds its metadata (as `blueprint model show` reads it).
    const inside = pkg.path.slice(1);
    const gguf = Object.keys(pkg.files)
      .filter((f) => f.endsWith('.gguf') && f.startsWith(`${inside}/`))
      .sort()[0];
    if (!gguf) continue;
    const file = path.join(pkg.source, gguf.slice(inside.length + 1));
    const fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined);
    if (!fh) continue; // a missing file is the start's to refuse (its hash is checked there)
    try {
      const info = await readGgufInfo(fh, (await fh.stat()).size);
      const kv = modelNeeds(shapeFromMetadata(nested(info.metadata), 0), { context: 1, parallel: 1 }).kvCache;
      // A figure that is no finite, positive number (a header's NaN or infinite float) is passed
      // over: Math.max with NaN is NaN, which had the service's limit not grow for any model. So is
      // one no model has (MAX_FIGURE), which had the limit grow past any box's memory, or an int64.
      const figure = Math.ceil(kv * HEADROOM);
      if (Number.isFinite(kv) && kv > 0 && figure <= MAX_FIGURE) most = Math.max(most, figure);
    } catch {
      // Not a GGUF this reader takes, or no shape in it: the service's own check at load says so.
    } finally {
      await fh.close();
    }
  }
  return most;
}

/** GGUF's flat keys (`llama.attention.head_count`) as the nested object memory.ts reads. */
function nested(flat: Map<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  for (const [key, raw] of flat) {
    const value = typeof raw === 'bigint' ? Number(raw) : raw;
    const names = key.split('.');
    let at = out;
    for (const n of names.slice(0, -1)) {
      const next = Object.hasOwn(at, n) ? at[n] : undefined;
      if (typeof next !== 'object' || next === null) at[n] = Object.create(null);
      at = at[n] as Record<string, unknown>;
    }
    at[names[names.length - 1]!] = value;
  }
  return out;
}
