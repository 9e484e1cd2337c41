import { createEngine } from '../../modules/embeddings/server/engine.js';
import { createApiServer } from '../../modules/embeddings/server/http.js';
import { createLog } from '../../modules/kit/server/index.js';
import { FIXTURE_MODELS } from './helpers.js';

/**
 * The embeddings API as the module serves it, on the tiny BERT fixture with small limits, listening
 * on `socket` (with the admin's `token` when given): what the client-level tests talk to.
 */
export async function serveTinyBert(socket: string, token?: string) {
  const engine = await createEngine({
    modelDir: FIXTURE_MODELS,
    model: 'tiny-bert',
    device: 'cpu',
    log: () => {},
  });
  const kit = createApiServer(engine, {
    maxBatch: 16,
    maxInputChars: 4096,
    maxBodyBytes: 64 * 1024,
    maxQueue: 8,
    ...(token && { token }),
    log: createLog({ name: 'test', write: () => {} }),
  });
  await kit.listen(socket);
  return {
    engine,
    kit,
    close: async () => {
      await kit.drain(1000);
      await engine.dispose();
    },
  };
}
