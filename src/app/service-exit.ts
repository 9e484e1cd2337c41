import { BlueprintError, type ExitCodeValue, NotFoundError } from '../core/errors.js';
import type { ServiceStatus } from '../core/services/status.js';

/**
 * The exit codes of `blueprint service status NAME`, for scripts and Ansible, as `systemctl
 * is-active`/`systemctl status` and the LSB `status` action of init scripts answer:
 * - 0: running, and healthy or without a health check (LSB 0 "running or service OK").
 * - 3: not running: stopped by an admin, exited, crashed and waiting for its restart, given up
 *   on, never started (LSB 3 "not running"; systemctl's answer for inactive and failed units).
 * - 4: not installed (LSB 4 "status unknown"; systemctl's "no such unit").
 * - 150: running but its health check fails, also while it is still starting. LSB 0 would hide
 *   it and 1/2 mean a dead process with a stale pid or lock file; 150–199 are the range LSB keeps
 *   for applications, and 150 is none of blueprint's own error codes (1, 2, 5, 6, 7, 130), so
 *   `rc == 150` means exactly this. Anything non-zero is "not OK", as with `is-active`.
 * An engine that does not answer stays 6 (blueprint's code for it): the state is unknown then,
 * and a script must not mistake it for a stopped service.
 */
export const SERVICE_STATUS_EXIT = { active: 0, inactive: 3, notInstalled: 4, unhealthy: 150 } as const;

export function serviceStatusExit(s: Pick<ServiceStatus, 'state' | 'health'>): number {
  if (s.state !== 'running') return SERVICE_STATUS_EXIT.inactive;
  return s.health === 'unhealthy' ? SERVICE_STATUS_EXIT.unhealthy : SERVICE_STATUS_EXIT.active;
}

/** A service that is not installed: the same error (message, hint, `not-found`), exit code 4. */
export function serviceStatusError(err: unknown): unknown {
  if (!(err instanceof NotFoundError) || err.code !== 'not-found') return err;
  const code: ExitCodeValue = SERVICE_STATUS_EXIT.notInstalled;
  return new BlueprintError(err.message, err.code, err.hint, code, { cause: err });
}
