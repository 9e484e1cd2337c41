/**
 * An llm package built for a model (package.ts `memoryFor`, its manifest's memory limit) serves that
 * model's embeddings: the limit counts the embedding context (estimate.ts `embeddingBytes`), which
 * the model pool admits beside the model at the first embedding request. The tiny llama with a
 * context of 8,192 (its KV cache large beside its weights, as a real model's is), its pool sized as
 * main.ts sizes it, a real request through the official openai client.
 */
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { KitServer } from '../../modules/kit/server/index.js';
import { memoryFor, memoryPerToken } from '../../modules/llm/package.js';
import { embeddingBytes, estimateNeeds } from '../../modules/llm/server/estimate.js';
import { RUNTIME_BYTES } from '../../modules/llm/server/memory.js';
import { ModelPool } from '../../modules/llm/server/model-pool.js';
import { tempDir } from '../setup/temp-registry.js';
import { openAiOnSocket, servePool } from './helpers.js';
import { loadTinyLlama, tinyLlamaWithContext } from './tiny-engine.js';

const CONTEXT = 8192;
const dir = tempDir('llm-embed-memory-');
let pool: ModelPool | undefined;
let kit: KitServer | undefined;
afterAll(async () => {
  await kit?.drain(1000);
  await pool?.dispose();
});

it('a limit computed for the model alone (package.ts) admits its embedding context: the first embedding request is answered', async () => {
  const file = tinyLlamaWithContext(dir, CONTEXT);
  const sizing = { context: CONTEXT, parallel: 1 };
  const limitBytes = Number.parseInt(await memoryFor(file, CONTEXT, 1), 10) * 2 ** 20;
  const needBytes = (await estimateNeeds(file, sizing)).total;
  const embedBytes = await embeddingBytes(file, sizing);
  // The case that matters: a limit for the model alone (its estimate with package.ts's headroom,
  // rounded up to 64 MiB) would not hold the embedding context beside it.
  const MiB64 = 64 * 2 ** 20;
  expect(Math.ceil((needBytes * 1.25) / MiB64) * MiB64).toBeLessThan(needBytes + embedBytes);
  expect(limitBytes).toBeGreaterThanOrEqual(needBytes + embedBytes);
  pool = new ModelPool(
    [
      {
        id: 'long',
        load: () => loadTinyLlama({ name: 'long', modelPath: file, contextSize: CONTEXT }),
        needBytes,
        embedBytes,
      },
    ],
    { keepAliveMs: 60_000, limitBytes, runtimeBytes: RUNTIME_BYTES, log: () => undefined },
  );
  await pool.start();
  const socket = join(dir, 'api.sock');
  kit = await servePool(pool, socket);
  const r = await openAiOnSocket(socket).embeddings.create({ model: 'long', input: 'Hello there' });
  expect(r.data[0]!.embedding.length).toBeGreaterThan(0);
});

it("the limit grown by the package's memoryPerSetting holds the model at a larger context and parallel", async () => {
  // The admin's LLM_CONTEXT=16384 LLM_PARALLEL=2 over the package's 4096 × 1: its limit grows by
  // memoryPerToken per unit of the product (settings.ts withSettings), which admission judges.
  const file = tinyLlamaWithContext(dir, 16384);
  const base = Number.parseInt(await memoryFor(file, 4096, 1), 10) * 2 ** 20;
  const per = await memoryPerToken(file, 4096, 1);
  const grown = base + per * (16384 * 2 - 4096);
  const sizing = { context: 16384, parallel: 2 };
  const need = (await estimateNeeds(file, sizing)).total + (await embeddingBytes(file, sizing));
  expect(need).toBeGreaterThan(base); // the case: the package's limit alone does not hold it
  expect(grown).toBeGreaterThanOrEqual(need);
});
