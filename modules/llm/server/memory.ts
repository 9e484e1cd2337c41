/**
 * Memory admission: what a GGUF model needs (weights + KV cache for the configured context +
 * runtime overhead), from its metadata alone, against what there is. Pure functions: the service
 * checks its container limit before loading anything, package.ts sizes the manifest's memory limit,
 * and the same numbers can be checked on the box against its free memory.
 */

export interface ModelShape {
  /** Bytes of tensor data (the GGUF file size is a close upper bound). */
  weightsBytes: number;
  layers: number;
  /** K and V width a layer keeps per token: head_count_kv × head dimension. */
  kvWidth: number;
  vocab: number;
}

export interface NeedOptions {
  /** Tokens of context per sequence. */
  context: number;
  parallel: number;
  /** Bytes per KV cache value: 2 for llama.cpp's default F16 cache. */
  kvBytes?: number;
  /** Tokens evaluated at once (llama.cpp's batch); sizes the logits and compute buffers. */
  batch?: number;
}

export interface Needs {
  weights: number;
  kvCache: number;
  overhead: number;
  total: number;
}

const MiB = 1024 * 1024;
/** Node, the server and llama.cpp's own allocations before any model (measured: ~110 MiB RSS). */
export const RUNTIME_BYTES = 160 * MiB;

/** From llama.cpp's GGUF keys (`ARCH.block_count`, …), as node-llama-cpp's readGgufFileInfo returns them. */
export function shapeFromMetadata(metadata: Record<string, unknown>, fileBytes: number): ModelShape {
  const general = metadata.general as { architecture?: string } | undefined;
  const arch = general?.architecture;
  const a = (arch ? metadata[arch] : undefined) as Record<string, unknown> | undefined;
  const num = (v: unknown, what: string): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw new Error(`the GGUF metadata has no usable ${arch ?? '?'}.${what}`);
    return v;
  };
  if (!a) throw new Error('the GGUF metadata names no architecture');
  const attention = (a.attention ?? {}) as Record<string, unknown>;
  const embd = num(a.embedding_length, 'embedding_length');
  const heads = num(attention.head_count, 'attention.head_count');
  const headsKv = typeof attention.head_count_kv === 'number' ? attention.head_count_kv : heads;
  const headDim = typeof attention.key_length === 'number' ? attention.key_length : embd / heads;
  const tokenizer = metadata.tokenizer as { ggml?: { tokens?: unknown[] } } | undefined;
  const vocab = typeof a.vocab_size === 'number' ? a.vocab_size : (tokenizer?.ggml?.tokens?.length ?? 32_000);
  return {
    weightsBytes: fileBytes,
    layers: num(a.block_count, 'block_count'),
    kvWidth: headsKv * headDim,
    vocab,
  };
}

export function modelNeeds(shape: ModelShape, o: NeedOptions): Needs {
  const kvBytes = o.kvBytes ?? 2;
  const batch = Math.min(o.batch ?? 512, o.context);
  const kvCache = 2 * shape.layers * o.context * o.parallel * shape.kvWidth * kvBytes;
  // Logits for a batch (F32) and llama.cpp's compute buffer (~ a few activations per batch token),
  // plus the runtime.
  const overhead = RUNTIME_BYTES + 4 * shape.vocab * batch + Math.ceil(0.05 * shape.weightsBytes);
  return { weights: shape.weightsBytes, kvCache, overhead, total: shape.weightsBytes + kvCache + overhead };
}

export interface Admission {
  ok: boolean;
  need: number;
  have: number;
  /** What to do when it does not fit (empty when it does). */
  advice: string[];
}

const mib = (n: number) => `${Math.ceil(n / MiB)} MiB`;

/**
 * `available`: memory the service may use — its container limit, or on the box the available
 * memory less the limits of the services already running (`runningLimits`).
 */
export function admit(
  needs: Needs,
  available: number,
  runningLimits: number[] = [],
  context?: number,
): Admission {
  const have = available - runningLimits.reduce((s, n) => s + n, 0);
  if (needs.total <= have) return { ok: true, need: needs.total, have, advice: [] };
  const advice: string[] = [];
  if (needs.kvCache > 0 && context && context > 512) {
    const perToken = needs.kvCache / context;
    const fits = Math.floor((have - needs.weights - needs.overhead) / perToken);
    if (fits >= 256) advice.push(`a smaller context: LLM_CONTEXT=${Math.min(context - 1, fits)} fits`);
    else advice.push('a smaller context (LLM_CONTEXT)');
  }
  advice.push('a smaller quantisation of the model (e.g. Q4_K_M instead of Q8_0 or F16)');
  if (runningLimits.length) advice.push('stopping a running service');
  return { ok: false, need: needs.total, have, advice };
}

/** One line for the log or an error: both numbers and what to do. */
export function describeAdmission(a: Admission, n: Needs): string {
  const parts = `weights ${mib(n.weights)} + KV cache ${mib(n.kvCache)} + overhead ${mib(n.overhead)}`;
  return a.ok
    ? `memory: needs ${mib(a.need)} (${parts}) of ${mib(a.have)}`
    : `the model needs ${mib(a.need)} (${parts}) but only ${mib(a.have)} is available; try ${a.advice.join(', or ')}`;
}

/** The container's memory limit (cgroup v2 or v1), or undefined without one. */
export function cgroupMemoryLimit(read: (path: string) => string | undefined): number | undefined {
  for (const f of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    const v = read(f)?.trim();
    if (v === undefined || v === 'max') continue;
    const n = Number(v);
    if (Number.isFinite(n) && n > 0 && n < 2 ** 60) return n;
  }
  return undefined;
}
