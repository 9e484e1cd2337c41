import { escapeLine } from './escape.js';
import { showFingerprint } from './fingerprint.js';
import { table } from './table.js';
import { bytes } from './units.js';

// What an install says: before the yes (the modules a package reaches) and after it (each
// installed package, and a kept data folder it will not get). Not in present/packages.ts, which
// the executable's start part holds whole for `packageCount` (test/perf/start-path.test.ts).

/** Whom a kept data folder came from: a repository and its key, or a package file. */
const keptFrom = (o: { origin: string; signer: string }) =>
  `${/^[a-z0-9][a-z0-9._-]*$/.test(o.origin) && o.origin !== 'file' && o.origin !== 'local' ? `repository ${o.origin}` : 'a package file'}, key ${showFingerprint(o.signer) || 'unknown'}`;

const names = (l: string[]) => l.map(escapeLine).join(', ');

/** Why a package not asked for by name comes in (apt's "additional packages"); '' for one that was. */
const dependencyNote = (c: { dependencyOf?: string[] }) =>
  c.dependencyOf?.length ? ` (a dependency of ${names(c.dependencyOf)})` : '';

/** Where a package comes from: its repository, or the package file given (its repo is `file`). */
const origin = (c: { repo: string; file?: string }) =>
  c.file !== undefined ? `the package file ${escapeLine(c.file)}` : c.repo;

/**
 * Said before the admin says yes to an install: each module that can be wired to others (module
 * wiring) reaches their sockets, with its own token for each (socket.clientTokens), or a copy of
 * the admin's token for a provider without. `reaches` comes from the signed
 * index before the download (src/app/plan-reach.ts): it may name a module only depended on.
 */
export function reachLines(changes: Array<{ name: string; reaches?: string[] }>): string[] {
  return changes
    .filter((c) => c.reaches?.length)
    .map(
      (c) =>
        `${escapeLine(c.name)} can reach ${names(c.reaches!)} through their sockets (of those it declares in uses), with its own token for each (or the admin's, where a module takes no token per consumer)`,
    );
}

/** A package in an install's plan (app's PlannedChange, as far as the plan shows it). */
type PlanChange = {
  name: string;
  from?: string;
  to?: string;
  repo: string;
  size: number;
  downgrade?: boolean;
  reaches?: string[];
  dependencyOf?: string[];
};

/**
 * An install plan's rows as cells, unpadded and not yet escaped (table() does both for a terminal;
 * the dashboard lays them out in a <table>, where padding spaces would collapse): name, from -> to
 * (a downgrade named as one), repository, download size, and, on its rows only, whose dependency it is.
 */
export function planRows(changes: PlanChange[]): string[][] {
  return changes.map((c) => [
    c.name,
    c.from ? `${c.from} -> ${c.to}${c.downgrade ? ' (downgrade)' : ''}` : `${c.to}`,
    c.repo,
    bytes(c.size),
    // Last, on its rows only: the others end without trailing spaces.
    ...(c.dependencyOf?.length ? [dependencyNote(c).trim()] : []),
  ]);
}

/**
 * The plan an install shows before its question: one row per package (planRows, padded into
 * columns), then what each module reaches.
 */
export function planLines(changes: PlanChange[]): string[] {
  return [table(planRows(changes)), ...reachLines(changes)];
}

/**
 * The plan an upgrade shows before its question: each package from -> to and its repository; a
 * package new to the box (a dependency the new version needs) as a new one, whose dependency it
 * is; then what each module reaches.
 */
export function upgradePlanLines(
  changes: Array<{
    name: string;
    from?: string;
    to?: string;
    repo: string;
    dependencyOf?: string[];
    reaches?: string[];
  }>,
): string[] {
  return [
    ...changes.map((u) =>
      u.from
        ? `${u.name} ${u.from} -> ${u.to} (from ${u.repo})`
        : `${u.name} ${u.to} (new, from ${u.repo})${dependencyNote(u)}`,
    ),
    ...reachLines(changes),
  ];
}

/** One line per installed package (`bpkg install`): where from, what it may reach, data it may not have. */
export function installedLine(c: {
  name: string;
  to?: string;
  repo: string;
  file?: string;
  from?: string;
  downgrade?: boolean;
  dependencyOf?: string[];
  outbound?: string[];
  reaches?: string[];
  dataHeld?: { dir: string; origin: string; signer: string };
}): string {
  const was = c.from ? ` (${c.downgrade ? 'downgraded from' : 'was'} ${c.from})` : '';
  const line = `installed ${c.name} ${c.to} from ${origin(c)}${was}${dependencyNote(c)}${
    c.outbound ? `; may reach ${c.outbound.join(', ') || 'nothing'}` : ''
  }${c.reaches?.length ? `; reaches the sockets of ${names(c.reaches)}, with its own token for each (or the admin's, where a module takes no token per consumer)` : ''}`;
  return c.dataHeld ? `${line}\n${dataHeldLine({ name: c.name, dataHeld: c.dataHeld })}` : line;
}

/**
 * One line per package an upgrade changed (`bpkg upgrade`, the console's `u`, the dashboard): an
 * upgraded one from -> to; one new to the box (a dependency the new version needs) as installed.
 */
export function upgradedLine(c: Parameters<typeof installedLine>[0]): string {
  return c.from ? `upgraded ${c.name} ${c.from} -> ${c.to}` : installedLine(c);
}

/**
 * The warning for a module installed beside a data folder kept from another origin (it will not
 * start with it: core/services/data-owner.ts), as `bpkg install`, the console and the dashboard say it.
 */
export function dataHeldLine(c: {
  name: string;
  dataHeld: { dir: string; origin: string; signer: string };
}): string {
  const d = { ...c.dataHeld, dir: escapeLine(c.dataHeld.dir), origin: escapeLine(c.dataHeld.origin) };
  return `warning: ${c.name} will not start with the data kept in ${d.dir}: it came from ${c.name} of ${keptFrom(d)}. \`bpkg remove ${c.name} --purge\` deletes it (then install ${c.name} again); or move it out of ${d.dir.slice(0, d.dir.lastIndexOf('/'))}.`;
}

/**
 * A package named that came in as a dependency, now marked as installed by the admin: a change of
 * state, said by the CLI, the console and the dashboard alike (apt: "NAME set to manually
 * installed"). `changed`: the same install also upgraded or reinstalled it (its own line says so).
 * `dryRun`: it would be marked (`bpkg install --dry-run`, the console's question); nothing was.
 */
export function keptLine(
  k: { name: string; version: string },
  opts: { changed?: boolean; dryRun?: boolean } = {},
): string {
  const named = `${escapeLine(k.name)} ${escapeLine(k.version)}`;
  if (opts.changed)
    return opts.dryRun
      ? `${named} would be marked as installed by you: autoremove would keep it`
      : `${named} is marked as installed by you: autoremove keeps it`;
  return opts.dryRun
    ? `${named} is installed already; it would be marked as installed by you: autoremove would keep it`
    : `${named} is installed already; marked as installed by you: autoremove keeps it`;
}

/** A module `bpkg install` brought in by name that does not run yet, and how to start it. */
export const notStartedLine = (name: string): string =>
  `${escapeLine(name)} is installed, not started: \`blueprint service start ${escapeLine(name)}\` starts it`;
