import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { type EngineWorker, startEngineWorker } from '../../modules/embeddings/server/engine-worker.js';
import { FIXTURE_MODELS } from './helpers.js';
import { bundle } from './served.js';

/**
 * The embeddings server's bundle, made once for the test file (`file`, for serve), and the engine
 * workers a test starts from it on the tiny BERT, one thread (`start`); after the file, the workers
 * are disposed of and the bundle removed.
 */
export function engineWorkers() {
  let file = '';
  const engines: EngineWorker[] = [];
  const init = { modelDir: FIXTURE_MODELS, model: 'tiny-bert', device: 'cpu' as const, threads: 1 };
  beforeAll(async () => {
    file = await bundle();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(engines.map((e) => e.dispose()));
    if (file) rmSync(dirname(file), { recursive: true, force: true });
  });
  return {
    get file() {
      return file;
    },
    /** startEngineWorker's inline budget, query budget and query wait (ms), as given. */
    async start(...budgets: [inlineMs?: number, queryMs?: number, queryWaitMs?: number]) {
      const e = await startEngineWorker(pathToFileURL(file), init, () => {}, undefined, ...budgets);
      engines.push(e);
      return e;
    },
  };
}
