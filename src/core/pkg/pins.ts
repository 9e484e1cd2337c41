/** Where each package of an install may come from: its origin, or the repository `--from` names. */
import { NotFoundError, UsageError } from '../errors.js';
import type { Database } from './db.js';
import type { RepoState } from './repos.js';
import type { Pins } from './resolve.js';
import { originsOf } from './states.js';

/**
 * Installed packages are pinned to their origin; `from` pins the requested ones to that
 * repository instead (the admin's explicit switch).
 */
export function pinsFor(
  db: Database,
  states: RepoState[],
  requests: Array<{ name: string }>,
  hasLocals: boolean,
  from: string | undefined,
): { pins: Pins; origins: Map<string, string> } {
  const origins = originsOf(db, states);
  // A package whose origin is unknown is pinned to nothing: only --from can say where it comes from.
  const pins: Pins = Object.fromEntries(Object.keys(db.packages).map((n) => [n, origins.get(n) ?? '']));
  if (from !== undefined) {
    if (hasLocals)
      throw new UsageError(
        '--from applies to packages named from repositories, not to .bpkg files',
        'Install the .bpkg files without --from, and the packages from a repository in a command of their own: `bpkg install --from REPO NAME`.',
      );
    if (!states.some((s) => s.name === from))
      throw new NotFoundError(
        `No usable repository named ${from}`,
        'See `bpkg repo list`; run `bpkg update` if it was never fetched.',
      );
    for (const r of requests) pins[r.name] = from;
  }
  return { pins, origins };
}
