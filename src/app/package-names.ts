import { UsageError } from '../core/errors.js';

/** A name that is empty or only spaces: a shell variable not set, said as bad usage (exit 2). */
export function noEmptyName(names: string[], cmd: string): void {
  if (names.some((n) => !n.trim()))
    throw new UsageError(
      'An empty package name (a shell variable not set?)',
      `Name the package: bpkg ${cmd} NAME`,
    );
}

/** The names a package command (install, its plan, remove) was given: at least one, none empty. */
export function somePackages(names: string[], cmd: string): void {
  if (names.length === 0)
    throw new UsageError('Name at least one package', `Example: \`bpkg ${cmd} embeddings\``);
  noEmptyName(names, cmd);
}
