// The embeddings bench's in-process ways (scripts/bench/embeddings.mjs forks this file): the model
// run in the child's own process, a pass whenever the bench asks over IPC, so the ways can take turns.
//   --way engine   the module's engine (modules/embeddings/server/engine.ts) called directly;
//   --way library  transformers.js's feature-extraction pipeline with mean pooling and normalisation,
//                  as its documentation shows for sentence embeddings: what a user who embeds in
//                  their own process without this module would run.
// Both with the service's thread count and ONNX Runtime session options, answering Float32Arrays.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { memoryOf, pass, sentences } from './_embeddings-procs.mjs';

const { values: opts } = parseArgs({
  options: {
    way: { type: 'string' },
    model: { type: 'string' },
    sentences: { type: 'string' },
    batch: { type: 'string', default: '32' },
  },
});
const [dir, name] = [resolve(opts.model, '..'), opts.model.split('/').pop()];
// As many inference threads as the service takes (its CPU quota: 2 in the sandbox, the host's
// cores as a host process): ONNX Runtime's own default differs.
const threads = Number(process.env.EMBEDDINGS_THREADS) || availableParallelism();
const { createEngine, sessionOptions } = await import('../../modules/embeddings/server/engine.ts');

async function library() {
  const { env, pipeline } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${dir}/`;
  const extract = await pipeline('feature-extraction', name, {
    device: 'cpu',
    dtype: 'fp32',
    session_options: sessionOptions(threads),
  });
  return async (batch) => {
    const t = await extract(batch, { pooling: 'mean', normalize: true });
    const [rows, dim] = t.dims;
    // One vector per input, views on the answer's buffer (no copy: the least a user could pay).
    return Array.from({ length: rows }, (_, i) => t.data.subarray(i * dim, (i + 1) * dim));
  };
}

async function engine() {
  const e = await createEngine({ modelDir: dir, model: name, device: 'cpu', threads, log: () => {} });
  return async (batch) => (await e.embed(batch, { truncate: true })).vectors;
}

const embed = opts.way === 'library' ? await library() : await engine();
const texts = sentences(Number(opts.sentences));
const size = Number(opts.batch);
await pass(texts, embed, size); // warm-up
process.on('message', async (m) => {
  if (m === 'pass') {
    const c0 = process.cpuUsage();
    const sps = await pass(texts, embed, size);
    const c = process.cpuUsage(c0);
    const cpuMs = ((c.user + c.system) / 1000) * (1000 / texts.length);
    process.send({ sps, cpuMs, clientCpuMs: 0, ...memoryOf(process.pid) });
  } else process.exit(0);
});
process.on('disconnect', () => process.exit(0)); // the bench is gone
// The first input's vector: the bench checks that every way answers the same.
process.send({ ready: true, probe: Array.from((await embed([texts[0]]))[0]) });
