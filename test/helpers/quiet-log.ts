import type { KitLog } from '../../modules/kit/server/index.js';

/** A kit log that writes nothing: for a module's parts run in process (a vectors Store, a capture). */
export const quiet = Object.assign(() => undefined, {
  startup: () => undefined,
  event: () => undefined,
  flush: () => undefined,
}) as unknown as KitLog;

/** A kit log that keeps its lines (the plain ones and the start-up ones) in `lines`, for a test to read. */
export const recordingLog = (lines: string[]): KitLog =>
  Object.assign((m: string) => void lines.push(m), {
    startup: (m: string) => void lines.push(m),
    event: () => undefined,
    flush: () => undefined,
  }) as unknown as KitLog;
