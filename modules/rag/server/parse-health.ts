/**
 * Whether a parse worker counts against rag's /health. The kit's pool answers unhealthy while a
 * worker restarts, and a client can kill a worker at will: a small document that fills the small
 * worker's 96 MiB heap (parse-lanes.ts), or one that holds a worker past its deadline. Blueprint's
 * health watch counts three failed checks in a row as a crash (src/core/services/restarts.ts:
 * stopped, restarted, at last left stopped), so /health 503 for every restart let one client make
 * rag look broken (test/security/rag-worker-health). A restart is the pool's own recovery, and one
 * that fails ends the process; a restart that lasts (a worker that cannot start) is unhealthy.
 * The pool says when its oldest restart in progress began (Pool.restartingSinceMs); when none is,
 * the pool's own answer is in force (closing).
 */
import type { Pool } from '../../kit/server/index.js';

export const RESTART_GRACE_MS = 30_000;

/** The pool's health, a restart counting against it only once it has lasted `graceMs`. */
export function poolHealth(
  pool: Pick<Pool<unknown>, 'healthy' | 'restartingSinceMs'>,
  graceMs = RESTART_GRACE_MS,
  now = Date.now,
): () => boolean {
  return () => {
    if (pool.healthy()) return true;
    const since = pool.restartingSinceMs();
    return since !== undefined && now() - since < graceMs;
  };
}
