import { escapeLine } from './escape.js';

export { packageCount } from './package-count.js';

/**
 * How a package list marks a package installed as a dependency (apt list's `automatic`): `bpkg
 * list`'s INSTALLED AS column, the console's State. '' for one asked for by name.
 */
export const installedAs = (p: { auto?: boolean }): string => (p.auto ? 'dependency' : '');

/**
 * One line per removed package, saying where a module's data went; and, for a module whose running
 * service the removal stopped (`stopped`), a line saying so (`bpkg remove --dry-run`: "It would stop").
 */
export function removedLine(c: {
  name: string;
  from?: string;
  purged?: string;
  dataKept?: string;
  stopped?: boolean;
  purgeAsked?: PurgeAskShown[];
}): string {
  const base = `removed ${c.name} ${c.from ?? ''}`.trimEnd();
  const line = c.purged
    ? `${base}; its data deleted (${c.purged})`
    : c.dataKept
      ? `${base}; its data kept in ${c.dataKept} (\`bpkg remove --purge ${c.name}\` deletes it)`
      : base;
  return [line, ...(c.stopped ? [stoppedLine(c.name)] : []), ...purgeAskLines(c.name, c.purgeAsked)].join(
    '\n',
  );
}

/** `bpkg remove --dry-run --purge`: the providers a purge would ask (`kept`: not installed, their data kept). */
export const wouldAskLines = (consumer: string, providers: string[] = [], kept: string[] = []): string[] =>
  providers.map(
    (p) =>
      `  would ask ${p} to delete the data ${consumer} made there${kept.includes(p) ? ` (${p} is not installed: in the data it kept, applied when it is installed again)` : ''}`,
  );

/** A provider asked to delete a purged consumer's data (app RemovedPackage.purgeAsked). */
export interface PurgeAskShown {
  provider: string;
  state: 'done' | 'at-start' | 'not-confirmed' | 'kept' | 'failed';
  error?: string;
}

/**
 * What a purge asked of each provider that keeps data per consumer (docs/module-wiring.md, "A
 * consumer's data, purged"): one line each, under the removal's line.
 */
export function purgeAskLines(consumer: string, asks: PurgeAskShown[] = []): string[] {
  return asks.map((a) => {
    const asked = `asked ${a.provider} to delete the data ${consumer} made there`;
    switch (a.state) {
      case 'done':
        return `${asked}: done`;
      case 'at-start':
        return `${asked}: ${a.provider} is not running; it deletes it at its next start, before it serves`;
      case 'kept':
        return `${asked}: ${a.provider} is not installed; it deletes it from the data it kept when it is installed again, at its first start, before it serves (\`bpkg remove --purge ${a.provider}\` deletes all it kept now)`;
      case 'not-confirmed':
        return `${asked}: not confirmed yet; ${a.provider} deletes it at its next start at the latest (\`blueprint service restart ${a.provider}\`)`;
      default:
        return `could not ask ${a.provider} to delete the data ${consumer} made there: ${escapeLine(a.error ?? 'unknown error')}; ${consumer}'s own data is kept: run \`bpkg remove --purge ${consumer}\` again to ask again (${a.provider}'s README says how to delete by hand)`;
    }
  });
}

/** Said after the removal of a module whose running service it stopped. */
export const stoppedLine = (name: string): string =>
  `stopped the running service ${name} (its container went with the package)`;

/**
 * The line after an install from the console or the dashboard: the key whose signature it verified.
 * A user ID is the key owner's text: one line each (a newline made a log line of its own).
 */
export const verifiedLine = (s: { fingerprint: string; userIds: string[] }): string =>
  `verified: signed by ${s.fingerprint}${s.userIds.length ? ` (${s.userIds.map(escapeLine).join(', ')})` : ''}`;

/**
 * How a package operation of the console or the dashboard reports: each line, warnings marked as
 * such, and each download's progress with its size as `size` writes it.
 */
export function packageProgress(
  progress: (line: string) => void,
  signal: AbortSignal,
  size: (n: number) => string,
) {
  // A download is said at its start, each quarter and its end (as `bpkg` says its percentages),
  // the same line never twice in a row: said at every chunk, a 47 MiB module gave 47 lines and
  // pushed what the install said after them off the console's screen.
  const quarterSaid = new Map<string, number>();
  let last = '';
  return {
    signal,
    info: progress,
    warn: (l: string) => progress(`warning: ${l}`),
    onProgress: (e: { phase: string; name: string; bytes?: number; total?: number }) => {
      if (e.phase === 'download' && e.bytes !== undefined && e.total) {
        const quarter = Math.min(4, Math.floor((e.bytes / e.total) * 4));
        if (quarterSaid.get(e.name) === quarter) return;
        quarterSaid.set(e.name, quarter);
      }
      const line = `${e.phase} ${e.name}${e.bytes !== undefined ? ` ${size(e.bytes)}` : ''}`;
      if (line === last) return;
      last = line;
      progress(line);
    },
  };
}

/**
 * What an upgrade that changed nothing says (`bpkg upgrade`, the console's `u`): "up to date" only
 * when nothing newer was held back; else how many were (the upgrade has warned of each).
 */
export function nothingUpgradedLine(held: number): string {
  if (!held) return 'Everything is up to date.';
  const s = held === 1 ? '' : 's';
  return `Nothing can be upgraded now: ${held} package${s} held back (see the warning${s}).`;
}
