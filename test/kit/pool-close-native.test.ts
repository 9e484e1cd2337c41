/**
 * The kit pool's close() while a worker is inside a native engine (modules/kit/server/pool.ts). A
 * module stops by draining its requests, then closing its pool (embeddings: engine.dispose()); a
 * batch still running then is inside ONNX Runtime's session.run. Terminating a worker there aborts
 * the whole process ("terminate called after throwing an instance of 'Napi::Error'", SIGABRT): a
 * stop became a crash with a core. close() now refuses what is queued, lets the running job finish
 * (within closeWaitMs), and only then stops the worker.
 *
 * In a child process: an abort ends the process it happens in.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bundleChild, runNode } from '../helpers/node-child.js';
import { moduleCache } from '../helpers/served-module.js';

const model = join(import.meta.dirname, '../fixtures/models/tiny-bert/onnx/model.onnx');
let child: string;

beforeAll(async () => {
  // In node_modules/.cache: onnxruntime-node resolves from the repository's node_modules.
  child = join(moduleCache('kit'), `pool-close-${process.pid}.mjs`);
  await bundleChild(CHILD, child, ['onnxruntime-node']);
}, 60_000);
afterAll(() => rmSync(child, { force: true }));

// The same file is the pool's worker: tiny BERT runs on a batch of 512 x 64 tokens until the job's
// ms have passed (each run tens of ms, nearly all of it inside ONNX Runtime).
const CHILD = `
import { isMainThread } from 'node:worker_threads';
import { serveJobs, startPool } from './modules/kit/server/index.ts';

if (isMainThread) {
  const [model, closeAt] = [process.argv[2], Number(process.argv[3])];
  const pool = await startPool({ file: new URL(import.meta.url), data: { model }, log: () => {} });
  const outcome = (p) => p.then((v) => 'answered ' + v.runs, (e) => 'refused: ' + e.message);
  const running = outcome(pool.run({ ms: 600 }));
  const queued = outcome(pool.run({ ms: 10 }));
  await new Promise((r) => setTimeout(r, closeAt));
  await pool.close();
  console.log(JSON.stringify({ running: await running, queued: await queued, afterClose: await outcome(pool.run({ ms: 1 })) }));
} else {
  serveJobs(async ({ model }) => {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 2 });
    const B = 512, L = 64;
    const t = (f) => new ort.Tensor('int64', BigInt64Array.from({ length: B * L }, f), [B, L]);
    const feeds = { input_ids: t((_, i) => BigInt(1 + (i % 250))), attention_mask: t(() => 1n), token_type_ids: t(() => 0n) };
    return {
      ready: {},
      handle: async ({ ms }) => {
        const end = performance.now() + ms;
        let runs = 0;
        do { await session.run(feeds); runs++; } while (performance.now() < end);
        return { runs };
      },
    };
  });
}
`;

it.each([50, 250])(
  'closed %i ms into a job running in ONNX Runtime: the job finishes, the process lives',
  async (at) => {
    const out = JSON.parse(await runNode([child, model, String(at)])) as Record<string, string>;
    expect(out.running).toMatch(/^answered [1-9]/);
    expect(out.queued).toMatch(/^refused: .*stopping/);
    expect(out.afterClose).toMatch(/^refused: .*stopping/);
  },
  60_000,
);
