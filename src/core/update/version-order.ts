/**
 * The order of system versions, for "versions only go up" (`system update`, `--from REPO`,
 * `apply`'s `system:`). The image build's `--system-version` may carry a pre-release (2.0.0-rc.10)
 * or build metadata (2.0.1+b2): both are ordered as semantic versions are (rc.9 before rc.10,
 * numbers as numbers; a build after the same version without one), not by the packages' plain
 * compareVersions, which read 2.0.0+1 as NaN and so took any such pair for "newer". A version that
 * is no semantic version (2.0.0~beta, from builds before this check) is not ordered at all: refused
 * unless forced, never waved through.
 */
import { compareBuild, parse } from 'semver';
import { ConflictError } from '../errors.js';

/** `a` against `b` (negative: older, 0: the same, positive: newer), or undefined when either is no semantic version. */
export function orderSystemVersions(a: string, b: string): number | undefined {
  const x = parse(a);
  const y = parse(b);
  return x && y ? compareBuild(x, y) : undefined;
}

/**
 * Why `candidate` may not replace the `running` system unforced, or undefined when it goes up.
 * `offered` words what brings it (`the bundle's version 2.0.0`); `nothing` what was not done.
 */
export function notUpward(
  candidate: string,
  running: string,
  offered: string,
  nothing: 'written' | 'downloaded',
): ConflictError | undefined {
  const order = orderSystemVersions(candidate, running);
  if (order === undefined)
    return new ConflictError(
      `${offered} cannot be ordered against the running ${running}: versions only go up, and one of them is no semantic version (like 2.0.0, 2.1.0-rc.1 or 2.0.1+b2)`,
      'bundle-not-ordered',
      `Check that it is the system you mean to run and pass --force to install it. Nothing was ${nothing}.`,
    );
  if (order <= 0)
    return new ConflictError(
      `${offered} is not newer than the running ${running}`,
      'bundle-not-newer',
      `Versions only go up; pass --force to install an older or the same version. Nothing was ${nothing}.`,
    );
  return undefined;
}
