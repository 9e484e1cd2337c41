import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AutoModel,
  AutoTokenizer,
  env,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  Tensor,
} from '@huggingface/transformers';

export type Device = 'cpu' | 'cuda';

export interface EngineOptions {
  /** Folder holding one sub-folder per model (transformers.js `localModelPath`). */
  modelDir: string;
  /** Sub-folder name: config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx. */
  model: string;
  device: Device;
  /** Lowers the model's own limit (never raises it). */
  maxTokens?: number;
  /** ONNX Runtime threads for one batch; default: its own choice (every core it sees). */
  threads?: number;
  /**
   * Padded tokens (rows × the longest row) in one model run; a larger batch runs in several, so its
   * attention and feed-forward buffers stay a fraction of the whole batch's. Default 4096.
   */
  maxRunTokens?: number;
  log(line: string): void;
}

export interface ModelInfo {
  model: string;
  dimension: number;
  maxTokens: number;
  device: Device;
  /** Why this device: the requested one, or why CUDA could not be used. */
  deviceReason: string;
}

export interface EmbedOptions {
  /** Cut inputs longer than maxTokens (sentence-transformers does); otherwise throw InputTooLongError. */
  truncate: boolean;
  /** Which end truncation drops tokens from; `right` keeps the start (the default everywhere). */
  direction?: 'left' | 'right';
  /** L2-normalise the mean-pooled vector (sentence-transformers models with a Normalize layer do). */
  normalize?: boolean;
}

export interface Embeddings {
  vectors: Float32Array[];
  /** Tokens fed to the model per input, special tokens included. */
  tokens: number[];
}

// Plain fields, not parameter properties: the bench imports this file with Node's type stripping.
export class InputTooLongError extends Error {
  readonly index: number;
  readonly length: number;
  readonly max: number;
  constructor(index: number, length: number, max: number) {
    super(`input ${index} has ${length} tokens, more than the maximum of ${max}`);
    this.name = 'InputTooLongError'; // it crosses the worker boundary by name
    this.index = index;
    this.length = length;
    this.max = max;
  }
}

export interface Engine {
  info: ModelInfo;
  embed(texts: string[], opts: EmbedOptions): Promise<Embeddings>;
  dispose(): Promise<void>;
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function positiveNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}

/**
 * The model's token limit as sentence-transformers applies it: its `max_seq_length` if the folder
 * has a sentence_bert_config.json, else the tokenizer's and the position table's limits.
 */
async function modelTokenLimit(folder: string, tokenizer: PreTrainedTokenizer): Promise<number> {
  const st = await readJson(join(folder, 'sentence_bert_config.json'));
  const config = await readJson(join(folder, 'config.json'));
  const limits = [
    positiveNumber(st?.max_seq_length),
    positiveNumber(tokenizer.model_max_length),
    positiveNumber(config?.max_position_embeddings),
  ].filter((v): v is number => v !== undefined);
  return limits.length ? Math.min(...limits) : 512;
}

/**
 * The special tokens the tokenizer wraps a single text in (e.g. [CLS] … [SEP]), found by encoding a
 * probe with and without them. Needed because transformers.js truncation cuts the trailing [SEP]
 * off, where the Python tokenizers (and so sentence-transformers) keep it.
 */
function specialTokens(tokenizer: PreTrainedTokenizer): { prefix: number[]; suffix: number[] } {
  const probe = 'hello world';
  const bare = tokenizer.encode(probe, { add_special_tokens: false });
  const full = tokenizer.encode(probe, { add_special_tokens: true });
  for (let at = 0; at + bare.length <= full.length; at++) {
    if (bare.every((id, i) => full[at + i] === id)) {
      return { prefix: full.slice(0, at), suffix: full.slice(at + bare.length) };
    }
  }
  throw new Error('cannot tell the special tokens of this tokenizer apart from the text');
}

/**
 * ONNX Runtime's session options for `threads` intra-op threads (its own choice when undefined).
 * Exported so the bench's in-process library run gets the same ones (scripts/bench/_embeddings-inproc.mjs).
 */
export function sessionOptions(threads: number | undefined) {
  return {
    ...(threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
    // No spin-waiting between batches: spinning threads burn the container's CPU quota (and the
    // cores other services on the box need) while the service waits for the next request.
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    // No arena: ONNX Runtime's CPU arena keeps the largest batch's buffers for the process's life
    // (issue 14, finding 7); without it each run's tensors are freed when the run ends.
    enableCpuMemArena: false,
  };
}

async function loadModel(
  opts: EngineOptions,
): Promise<{ model: PreTrainedModel; device: Device; reason: string }> {
  const session_options = sessionOptions(opts.threads);
  const load = (device: Device) =>
    AutoModel.from_pretrained(opts.model, { device, dtype: 'fp32', session_options });
  if (opts.device === 'cuda') {
    try {
      return { model: await load('cuda'), device: 'cuda', reason: 'CUDA execution provider loaded' };
    } catch (err) {
      const reason = `CUDA requested but unavailable (${(err as Error).message.split('\n')[0]}); using CPU`;
      opts.log(reason);
      return { model: await load('cpu'), device: 'cpu', reason };
    }
  }
  return {
    model: await load('cpu'),
    device: 'cpu',
    reason: 'CPU: no GPU requested or passed to the container',
  };
}

function int64(rows: number[][], width: number, fill: (row: number[], t: number) => number): Tensor {
  const data = new BigInt64Array(rows.length * width);
  rows.forEach((row, b) => {
    for (let t = 0; t < width; t++) data[b * width + t] = BigInt(fill(row, t));
  });
  return new Tensor('int64', data, [rows.length, width]);
}

/** Mean over the unmasked tokens, then optionally L2 normalisation (eps as torch's F.normalize). */
function pool(hidden: Float32Array, lengths: number[], width: number, dim: number, normalize: boolean) {
  return lengths.map((len, b) => {
    const v = new Float32Array(dim);
    for (let t = 0; t < len; t++) {
      const base = (b * width + t) * dim;
      for (let d = 0; d < dim; d++) v[d]! += hidden[base + d]!;
    }
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      v[d]! /= Math.max(len, 1);
      norm += v[d]! * v[d]!;
    }
    if (normalize) {
      const scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
      for (let d = 0; d < dim; d++) v[d]! *= scale;
    }
    return v;
  });
}

/**
 * Consecutive rows (by token count) grouped so that each group's rows × its longest row is at most
 * `maxTokens` (a row longer than that runs alone): [start, end) pairs, in order, covering every row.
 */
export function runGroups(lengths: number[], maxTokens: number): [number, number][] {
  const groups: [number, number][] = [];
  let start = 0;
  let width = 0;
  for (let i = 0; i < lengths.length; i++) {
    const w = Math.max(width, lengths[i]!);
    if (i > start && (i - start + 1) * w > maxTokens) {
      groups.push([start, i]);
      start = i;
      width = lengths[i]!;
    } else width = w;
  }
  if (lengths.length > start) groups.push([start, lengths.length]);
  return groups;
}

/** Loads a sentence-embedding model (encoder + mean pooling + normalisation) from a local folder. */
export async function createEngine(opts: EngineOptions): Promise<Engine> {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = opts.modelDir.endsWith('/') ? opts.modelDir : `${opts.modelDir}/`;
  const tokenizer = await AutoTokenizer.from_pretrained(opts.model);
  const { model, device, reason } = await loadModel(opts);
  const special = specialTokens(tokenizer);
  const ownLimit = await modelTokenLimit(join(opts.modelDir, opts.model), tokenizer);
  const maxTokens = Math.min(ownLimit, opts.maxTokens ?? ownLimit);
  const room = maxTokens - special.prefix.length - special.suffix.length;
  if (room < 1) throw new Error(`max tokens ${maxTokens} leaves no room for text`);
  // biome-ignore lint/suspicious/noExplicitAny: transformers.js does not type its sessions
  const inputNames: string[] = (model as any).sessions?.model?.inputNames ?? ['input_ids', 'attention_mask'];
  const padId = tokenizer.pad_token_id ?? 0;
  const runTokens = opts.maxRunTokens ?? 4096;

  async function embed(texts: string[], eo: EmbedOptions): Promise<Embeddings> {
    if (texts.length === 0) return { vectors: [], tokens: [] };
    const rows = texts.map((text, i) => {
      let ids = tokenizer.encode(text, { add_special_tokens: false });
      if (ids.length > room) {
        if (!eo.truncate) throw new InputTooLongError(i, ids.length + maxTokens - room, maxTokens);
        ids = eo.direction === 'left' ? ids.slice(ids.length - room) : ids.slice(0, room);
      }
      return [...special.prefix, ...ids, ...special.suffix];
    });
    const vectors: Float32Array[] = [];
    for (const [start, end] of runGroups(
      rows.map((r) => r.length),
      runTokens,
    )) {
      vectors.push(...(await run(rows.slice(start, end), eo.normalize ?? true)));
    }
    return { vectors, tokens: rows.map((r) => r.length) };
  }

  /** One model run over rows of token ids: the pooled vector of each. */
  async function run(rows: number[][], normalize: boolean): Promise<Float32Array[]> {
    const width = Math.max(...rows.map((r) => r.length));
    const feeds: Record<string, Tensor> = {
      input_ids: int64(rows, width, (r, t) => r[t] ?? padId),
      attention_mask: int64(rows, width, (r, t) => (t < r.length ? 1 : 0)),
      token_type_ids: int64(rows, width, () => 0),
    };
    const inputs = Object.fromEntries(inputNames.map((n) => [n, feeds[n]]));
    const out = (await model(inputs)) as { last_hidden_state: Tensor };
    const hidden = out.last_hidden_state;
    const dim = hidden.dims[2]!;
    return pool(
      hidden.data as Float32Array,
      rows.map((r) => r.length),
      width,
      dim,
      normalize,
    );
  }

  const probe = await embed(['probe'], { truncate: true });
  const info: ModelInfo = {
    model: opts.model,
    dimension: probe.vectors[0]!.length,
    maxTokens,
    device,
    deviceReason: reason,
  };
  return {
    info,
    embed,
    dispose: async () => {
      await model.dispose();
    },
  };
}
