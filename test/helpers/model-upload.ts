/** Model uploads made in-process, as the dashboard's upload route hands them to the app. */
import type { ModelOps, ModelUpload } from '../../src/app/models.js';

/** An upload of `body` received by `models` in one chunk (its room promised by this process). */
export function receiveWhole(models: ModelOps, body: Buffer): Promise<ModelUpload> {
  return models.receive(
    (async function* () {
      yield body;
    })(),
    body.length,
  );
}
