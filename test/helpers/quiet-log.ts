import type { KitLog } from '../../modules/kit/server/index.js';

/** A kit log that writes nothing: for a module's parts run in process (a vectors Store, a capture). */
export const quiet = Object.assign(() => undefined, {
  startup: () => undefined,
  event: () => undefined,
  flush: () => undefined,
}) as unknown as KitLog;
