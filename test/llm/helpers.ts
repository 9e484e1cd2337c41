import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll } from 'vitest';
import { createLog, type KitServer } from '../../modules/kit/server/index.js';
import { createApiServer } from '../../modules/llm/server/api.js';
import type { ModelPool } from '../../modules/llm/server/model-pool.js';

export const FIXTURE_MODELS = resolve(import.meta.dirname, '../fixtures/models');
export const F32 = resolve(FIXTURE_MODELS, 'tiny-llama/tiny-llama-f32.gguf');
export const Q8 = resolve(FIXTURE_MODELS, 'tiny-llama-q8/tiny-llama-q8_0.gguf');

/** What scripts/models/make-tiny-llama.py computed with its own numpy forward pass. */
export interface Reference {
  vocab_size: number;
  context_length: number;
  prompt_text: string;
  prompt_tokens: number[];
  /** Logits of every prompt position (next-token scores), float64 rounded to 6 decimals. */
  logits: number[][];
  greedy_tokens: number[];
}

export const reference = (): Reference =>
  JSON.parse(readFileSync(resolve(FIXTURE_MODELS, 'tiny-llama.reference.json'), 'utf8')) as Reference;

/** log-softmax: llama.cpp reports probabilities, which fix the logits up to a constant. */
export function logSoftmax(row: number[]): number[] {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
  return row.map((x) => x - lse);
}

type FetchOptions = NonNullable<ConstructorParameters<typeof OpenAI>[0]>['fetchOptions'];

/** The official openai client, its requests sent to a service's unix socket (undici Agent). */
export const openAiOnSocket = (socketPath: string, apiKey = 'none') =>
  new OpenAI({
    baseURL: 'http://localhost/v1',
    apiKey,
    maxRetries: 0,
    fetchOptions: { dispatcher: new Agent({ connect: { socketPath } }) } as unknown as FetchOptions,
  });

/**
 * The official ollama client, its requests sent to a service's unix socket (its `fetch` option:
 * undici's fetch with an Agent on the socket); `token` goes as `Authorization: Bearer`.
 */
export function ollamaOnSocket(socketPath: string, token?: string): Ollama {
  const dispatcher = new Agent({ connect: { socketPath } });
  return new Ollama({
    host: 'http://localhost',
    fetch: ((url: string, init: object) =>
      undiciFetch(url, { ...init, dispatcher })) as unknown as typeof fetch,
    headers: token ? { Authorization: `Bearer ${token}` } : undefined,
  });
}

/**
 * BLUEPRINT_PACKAGES as the runtime hands it to a service serving the two fixture models as
 * packages (model-tiny-llama, the default, and model-tiny-llama-q8), with their hashes.
 */
export function twoModelPackages(): string {
  const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
  return JSON.stringify([
    {
      name: 'model-tiny-llama',
      version: '1.0.0',
      folder: 'tiny-llama',
      path: '/tiny-llama',
      files: { 'tiny-llama/tiny-llama-f32.gguf': sha(F32) },
    },
    {
      name: 'model-tiny-llama-q8',
      version: '1.0.0',
      folder: 'tiny-llama-q8',
      path: '/tiny-llama-q8',
      files: { 'tiny-llama-q8/tiny-llama-q8_0.gguf': sha(Q8) },
    },
  ]);
}

/**
 * The service's API over `pool` (generation deadline 120 s, a log that writes nothing), listening
 * on `socket`: how the pool's tests serve it.
 */
export async function servePool(pool: ModelPool, socket: string, maxTokensCap = 64): Promise<KitServer> {
  const kit = createApiServer(pool, {
    log: createLog({ name: 'test', write: () => undefined }),
    maxTokensCap,
    generationTimeoutS: 120,
  });
  await kit.listen(socket);
  return kit;
}

/**
 * The pools a test file serves: `serve(name, limitBytes)` makes a pool with `makePool`, starts it
 * and serves it (servePool) on `dir`/NAME.sock, with the ollama and openai clients on that socket;
 * each server is drained and its pool disposed in the file's afterAll.
 */
export function poolsServedIn(
  dir: string,
  makePool: (limitBytes: number | null) => ModelPool,
  maxTokensCap?: number,
): (name: string, limitBytes: number | null) => Promise<ServedPool> {
  const servers: { kit: KitServer; pool: ModelPool }[] = [];
  afterAll(async () => {
    for (const s of servers) {
      await s.kit.drain(1000);
      await s.pool.dispose();
    }
  });
  return async (name, limitBytes) => {
    const pool = makePool(limitBytes);
    await pool.start();
    const socket = join(dir, `${name}.sock`);
    const kit = await servePool(pool, socket, maxTokensCap);
    servers.push({ kit, pool });
    return { pool, socket, ollama: ollamaOnSocket(socket), openai: openAiOnSocket(socket) };
  };
}

/** A pool served by poolsServedIn: the pool, its socket and the two clients on it. */
export interface ServedPool {
  pool: ModelPool;
  socket: string;
  ollama: ReturnType<typeof ollamaOnSocket>;
  openai: ReturnType<typeof openAiOnSocket>;
}
