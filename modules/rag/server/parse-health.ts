/**
 * Whether a parse worker counts against rag's /health. The kit's pool answers unhealthy while a
 * worker restarts, and a client can kill a worker at will: a small document that fills the small
 * worker's 96 MiB heap (parse-lanes.ts), or one that holds a worker past its deadline. Blueprint's
 * health watch counts three failed checks in a row as a crash (src/core/services/restarts.ts:
 * stopped, restarted, at last left stopped), so /health 503 for every restart let one client make
 * rag look broken (test/security/rag-worker-health). A restart is the pool's own recovery, and one
 * that fails ends the process; a restart that lasts (a worker that cannot start) is unhealthy.
 * The pool says when a restart begins and ends only in its log, so the log is read here; lines
 * other than these two leave the pool's own answer in force.
 */
export const RESTART_GRACE_MS = 30_000;

export function restartWatch(log: (line: string) => void, graceMs = RESTART_GRACE_MS, now = Date.now) {
  let since: number | undefined;
  return {
    log(line: string): void {
      if (/^worker exited with /.test(line)) since ??= now();
      else if (line === 'worker restarted') since = undefined;
      log(line);
    },
    healthy(poolHealthy: () => boolean): () => boolean {
      return () => poolHealthy() || (since !== undefined && now() - since < graceMs);
    },
  };
}
