import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import path from 'node:path';
import { type ModelShape, modelNeeds, shapeFromMetadata } from '../../../modules/llm/server/memory.js';
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
 * service loads any of them on demand within one limit. And the limit is at least the largest
 * model's whole need at the settings' context (wholeNeed: weights, KV cache, overhead). Loaded
 * only for such a manifest, so no other service's start reads a GGUF or loads this file.
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
  const per = reg.spec.resources.memoryPerSetting;
  if (per?.bytes !== 'model') return withSettings(root, reg, stored);
  const mounts = await (planned ?? import('./package-mounts.js').then((m) => m.planPackageMounts(root, reg)));
  const shapes = await mountedShapes(mounts);
  const grown = withSettings(root, reg, stored, bytesPerToken(shapes));
  // The tokens of context the service's settings give its sequences together (LLM_CONTEXT x
  // LLM_PARALLEL): the largest model's whole need at them is the least the limit may be.
  const tokens = per.of.reduce((n, k) => n * Number(grown.spec.env[k]), 1);
  const whole = wholeNeed(shapes, tokens);
  return whole > grown.spec.resources.memory
    ? { ...grown, spec: { ...grown.spec, resources: { ...grown.spec.resources, memory: whole } } }
    : grown;
}

/**
 * The most bytes one token of context per sequence takes among the mounted models' KV caches
 * (0 with none mounted, or none whose header says its shape: nothing to foresee, judged at load).
 */
export async function modelBytesPerToken(planned: PlannedPackageMount[]): Promise<number> {
  return bytesPerToken(await mountedShapes(planned));
}

const bytesPerToken = (shapes: ModelShape[]) =>
  shapes.reduce((most, s) => Math.max(most, Math.ceil(kvPerToken(s) * HEADROOM)), 0);

const kvPerToken = (s: ModelShape) => modelNeeds(s, { context: 1, parallel: 1 }).kvCache;

/**
 * The most memory any mounted model takes loaded with `tokens` of context, as a built-in model's
 * package figure is made (modules/llm/package.ts memoryFor, from the llm's own estimate of its
 * metadata, server/memory.ts): its weights (its GGUF files' bytes), its KV cache at `tokens` and
 * the runtime's overhead, +25 %, rounded up to 64 MiB; 0 with none. The per-token growth alone
 * left the weights and the overhead to the package's figure (the catalog's 2 GiB), so a model of
 * 4 GiB was admitted at 2 GiB and refused at its load.
 */
export function wholeNeed(shapes: ModelShape[], tokens: number): number {
  let most = 0;
  for (const s of shapes) {
    const bytes =
      Math.ceil((modelNeeds(s, { context: tokens, parallel: 1 }).total * HEADROOM) / ROUND) * ROUND;
    if (Number.isSafeInteger(bytes)) most = Math.max(most, bytes);
  }
  return most;
}

const ROUND = 64 * 1024 ** 2;
/**
 * More tokens than any model's vocabulary has (the largest known: ~256k): the logits' buffer is
 * sized by it, and a header saying more describes no model (as MAX_FIGURE for its KV cache).
 */
const MAX_VOCAB = 2 ** 24;

/**
 * The shape of each mounted model whose header says one a model can have, its weights the bytes of
 * its GGUF files (all parts of a split model). One whose figure is no finite, positive number (a
 * header's NaN or infinite float) is passed over: Math.max with NaN is NaN, which had the service's
 * limit not grow for any model. So is one no model has (MAX_FIGURE, MAX_VOCAB), which had the limit
 * grow past any box's memory, or an int64. Such a model is still judged at its load.
 */
async function mountedShapes(planned: PlannedPackageMount[]): Promise<ModelShape[]> {
  const { ggufMetadataOf } = await import('../models/gguf-metadata-memo.js');
  const shapes: ModelShape[] = [];
  for (const pkg of planned.flatMap((p) => p.packages)) {
    // The first part of a split model holds its metadata (as `blueprint model show` reads it).
    const inside = pkg.path.slice(1);
    const ggufs = Object.keys(pkg.files)
      .filter((f) => f.endsWith('.gguf') && f.startsWith(`${inside}/`))
      .sort()
      .map((f) => path.join(pkg.source, f.slice(inside.length + 1)));
    if (ggufs.length === 0) continue;
    const fh = await open(ggufs[0]!, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined);
    if (!fh) continue; // a missing file is the start's to refuse (its hash is checked there)
    try {
      // Read once per version of the file (the console asks a running llm's limits every 10 s).
      const metadata = await ggufMetadataOf(ggufs[0]!, fh);
      const shape = shapeFromMetadata(nested(metadata), await filesBytes(ggufs));
      const kv = kvPerToken(shape);
      if (Number.isFinite(kv) && kv > 0 && Math.ceil(kv * HEADROOM) <= MAX_FIGURE && shape.vocab <= MAX_VOCAB)
        shapes.push(shape);
    } catch {
      // Not a GGUF this reader takes, or no shape in it: the service's own check at load says so.
    } finally {
      await fh.close();
    }
  }
  return shapes;
}

/** The bytes of the files (links not followed: the start's hash check refuses those). */
async function filesBytes(files: string[]): Promise<number> {
  let n = 0;
  for (const f of files) n += (await lstat(f).catch(() => undefined))?.size ?? 0;
  return n;
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
