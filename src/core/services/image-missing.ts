/**
 * A registered module whose image is gone from the engine (`podman rmi`, its storage reset): asked
 * only when a start failed or at `service inspect`, so kept out of the start's own modules.
 */
import { NotFoundError } from '../errors.js';
import type { Engine } from './engine.js';

/** Whether the engine holds image `id` (an engine that does not answer throws, as every call). */
export async function imagePresent(engine: Engine, id: string): Promise<boolean> {
  return engine.libpod('GET', `/images/${id.replace(/^sha256:/, '')}/json`).then(
    () => true,
    (err: unknown) => {
      if (err instanceof NotFoundError) return false;
      throw err;
    },
  );
}

/** A registered module whose image is gone from the engine (`podman rmi`, storage reset). */
export function imageMissing(name: string, id: string): NotFoundError {
  return new NotFoundError(
    `${name} cannot start: its image ${id.slice(0, 19)}… is not in the container engine (removed with \`podman rmi\`, or the engine's storage was reset)`,
    `Install the module again: \`bpkg install ${name} --reinstall\` loads its image again.`,
    'image-missing',
  );
}
