import { ConflictError, NotFoundError } from '../errors.js';
import type { Database } from './db.js';
import { dependentsOf, unneededPackages } from './resolve.js';
import type { Change } from './transaction.js';

/** The removal of `names` from `db` as `remove` judges it (see `removalPlan`). Pure. */
export function removal(
  db: Database,
  names: string[],
  opts: { force?: boolean; missingOk?: boolean },
): { changes: Change[]; notInstalled: string[]; unneeded: string[] } {
  const notInstalled = [...new Set(names.filter((n) => !db.packages[n]))];
  if (notInstalled.length && !opts.missingOk)
    throw new NotFoundError(`${notInstalled[0]} is not installed`, 'See `bpkg list`.');
  const present = [...new Set(names.filter((n) => db.packages[n]))];
  const leaving = new Set(present);
  if (!opts.force)
    for (const n of present) {
      const deps = dependentsOf(n, db.packages, leaving);
      if (deps.length)
        throw new ConflictError(
          `${n} is needed by ${deps.join(', ')}`,
          'has-dependents',
          `Remove ${deps.join(', ')} too (\`bpkg remove ${[...present, ...deps].join(' ')}\`), or pass --force to break them.`,
        );
    }
  const changes = present.map((n) => ({ name: n, from: db.packages[n]!.version }));
  return { changes, notInstalled, unneeded: unneededPackages(db.packages, leaving) };
}
