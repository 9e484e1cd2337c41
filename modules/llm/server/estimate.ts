/**
 * The one memory estimate of a model, used wherever its memory is judged: the start's admission
 * (main.ts), the model pool's budget (model-pool.ts) and the manifest's memory limit that
 * `blueprint service start` admits (package.ts). One function, so that a model the start lets in
 * is never refused by the pool at the same settings.
 *
 * node-llama-cpp's own estimate where it can be had without loading the model: GgufInsights on the
 * GGUF's header and tensor table (the weights as llama.cpp lays them out, the KV cache at the
 * context's size and types, the compute buffers and graph overhead), on the CPU (no layers on a
 * GPU: the memory budgeted is the container's RAM). Else, and said why, memory.ts's own from the
 * metadata alone (a tensor table past the bound below, or an architecture node-llama-cpp's insights
 * cannot size). The runtime's share (RUNTIME_BYTES) is added to either.
 */
import { open, stat } from 'node:fs/promises';
import { GgmlType, GgufInsights, type Llama, readGgufFileInfo } from 'node-llama-cpp';
import { modelNeeds, type Needs, RUNTIME_BYTES, shapeFromMetadata } from './memory.ts'; // .ts: package.ts runs under node itself

export interface EstimateOptions {
  /** LLM_CONTEXT: tokens per sequence (cut to the trained context, as makeContext does). */
  context: number;
  /** LLM_PARALLEL: sequences. */
  parallel: number;
  /** LLM_KV_CACHE=f32 (engine-load.ts makeContext): an F32 KV cache instead of F16. */
  exactKvCache?: boolean;
  /** The service's llama binding, to size with; none (package.ts): node-llama-cpp's CPU-only one. */
  llama?: Llama;
}

export interface Estimate extends Needs {
  /** Whose estimate: node-llama-cpp's GgufInsights, or memory.ts's own. */
  by: 'node-llama-cpp' | 'own';
  /** Why the own one was used (empty for node-llama-cpp's). */
  why: string;
}

/**
 * The most tensors a table may list for node-llama-cpp to read it here: the bound of the project's
 * own GGUF reader (src/core/models/gguf.ts MAX_TENSORS; a module builds alone, so not imported).
 * Past it, the table is not walked and memory.ts's estimate is used.
 */
export const MAX_TENSORS = 1_048_576;
/** The least bytes one tensor's entry takes (name length 8, an empty name, dims 4, a dim 8, type 4, offset 8). */
const MIN_TENSOR_ENTRY = 32;

/** The tensor count of the GGUF's header (bytes 8..16), read once; undefined when it is not a GGUF. */
async function tensorCount(path: string): Promise<number | undefined> {
  const f = await open(path, 'r');
  try {
    const head = Buffer.alloc(16);
    const { bytesRead } = await f.read(head, 0, 16, 0);
    if (bytesRead < 16 || head.toString('latin1', 0, 4) !== 'GGUF') return undefined;
    const n = head.readBigUInt64LE(8);
    return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
  } finally {
    await f.close();
  }
}

/**
 * The GGUF's tensor table may be read (node-llama-cpp walks it): an empty string, else why not (no
 * GGUF header, or more tensors than MAX_TENSORS or than the file can hold).
 */
export async function tensorTableRefused(path: string): Promise<string> {
  const size = (await stat(path)).size;
  const count = await tensorCount(path);
  if (count === undefined) return 'the file has no GGUF header';
  if (count > MAX_TENSORS || count * MIN_TENSOR_ENTRY > size)
    return `its tensor table lists ${count} tensors, more than ${MAX_TENSORS} or than the file holds`;
  return '';
}

/** What the model at `path` needs loaded at these settings, the runtime's share included. */
export async function estimateNeeds(path: string, o: EstimateOptions): Promise<Estimate> {
  const size = (await stat(path)).size;
  let why = await tensorTableRefused(path);
  if (!why) {
    try {
      const info = await readGgufFileInfo(path, { readTensorInfo: true, logWarnings: false });
      const insights = await GgufInsights.from(info, o.llama);
      const trained = insights.trainContextSize ?? o.context;
      const context = Math.min(o.context, trained);
      const kvType = o.exactKvCache ? GgmlType.F32 : GgmlType.F16;
      const weights = insights.estimateModelResourceRequirements({ gpuLayers: 0 }).cpuRam;
      const ctx = insights.estimateContextResourceRequirements({
        contextSize: context * o.parallel,
        sequences: o.parallel,
        modelGpuLayers: 0,
        flashAttention: false,
        kvCacheKeyType: kvType,
        kvCacheValueType: kvType,
      }).cpuRam;
      if (Number.isFinite(weights) && Number.isFinite(ctx) && weights > 0 && ctx >= 0)
        return {
          weights,
          kvCache: ctx,
          overhead: RUNTIME_BYTES,
          total: weights + ctx + RUNTIME_BYTES,
          by: 'node-llama-cpp',
          why: '',
        };
      why = `node-llama-cpp's estimate came out ${weights} + ${ctx} bytes`;
    } catch (err) {
      why = `node-llama-cpp could not size it: ${(err as Error).message.slice(0, 200)}`;
    }
  }
  const meta = (await readGgufFileInfo(path, { readTensorInfo: false, logWarnings: false }))
    .metadata as unknown as Record<string, unknown>;
  const arch = (meta.general as { architecture?: string } | undefined)?.architecture ?? '';
  const trained = (meta[arch] as { context_length?: unknown } | undefined)?.context_length;
  const context = Math.min(o.context, typeof trained === 'number' ? trained : o.context);
  const needs = modelNeeds(shapeFromMetadata(meta, size), {
    context,
    parallel: o.parallel,
    kvBytes: o.exactKvCache ? 4 : 2,
  });
  return { ...needs, by: 'own', why };
}

/**
 * What the model's embedding context (embed.ts: one sequence of the service's context, node-llama-cpp's
 * default batch) needs beside the model: node-llama-cpp's estimate of such a context, else (said
 * as for estimateNeeds) the own one's KV cache and compute share for one sequence.
 */
export async function embeddingBytes(path: string, o: EstimateOptions): Promise<number> {
  if (!(await tensorTableRefused(path))) {
    try {
      const info = await readGgufFileInfo(path, { readTensorInfo: true, logWarnings: false });
      const insights = await GgufInsights.from(info, o.llama);
      const context = Math.min(o.context, insights.trainContextSize ?? o.context);
      const bytes = insights.estimateContextResourceRequirements({
        contextSize: context,
        sequences: 1,
        isEmbeddingContext: true,
        batchSize: Math.min(context, 512),
        modelGpuLayers: 0,
        flashAttention: false,
      }).cpuRam;
      if (Number.isFinite(bytes) && bytes >= 0) return bytes;
    } catch {
      // the own estimate below
    }
  }
  const own = await estimateNeeds(path, { ...o, parallel: 1, exactKvCache: false });
  return own.kvCache + own.overhead - RUNTIME_BYTES;
}

/** Says whose the estimate is, for the start's log. */
export function estimateSource(e: Estimate): string {
  return e.by === 'node-llama-cpp'
    ? "node-llama-cpp's estimate (weights, KV cache and compute buffers at this context)"
    : `the service's own estimate from the GGUF's metadata, as ${e.why}`;
}
