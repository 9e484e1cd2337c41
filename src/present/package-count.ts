/**
 * `1 package`, `3 packages`: the one plural the CLI, the TUI and the web show. A module of its own:
 * the quick `bpkg search` and `update` (src/cli/commands/pkg-quick.ts, in the executable's start
 * part) need only this of packages.ts, whose other lines are the package commands' and the console's.
 */
export const packageCount = (n: number): string => `${n} ${n === 1 ? 'package' : 'packages'}`;
