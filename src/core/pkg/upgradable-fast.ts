import path from 'node:path';
import type { Layout } from '../system/paths.js';
import type { Database } from './db.js';
import { LOCAL_ORIGIN } from './local-key-path.js';
import { nodeFs, readJsonSync, repoConfigFiles } from './node-lazy.js';
import { judgedTables } from './search-fast.js';

/**
 * "Nothing to upgrade", answered from the sealed search tables without the package manager, or
 * undefined when the tables cannot say it. The console's Dashboard asks for its count of updates
 * at its first paint and then every 2 s, as do `blueprint status` and the web dashboard: the
 * package manager's answer loads ~1.2 MB of modules (node:crypto's signing, zlib, zod, the
 * transports) and parses every repository's kept index, 2.5 MB of JSON for 10,000 packages, each
 * time (issue 20).
 *
 * An upgrade is a version newer than the installed one that the package's origin offers
 * (PackageManager.upgradePlan), and every repository's offers are rows of its table. So when no
 * table holds a version newer than an installed package's, of any arch and from any repository,
 * the plan has no upgrade: `[]`. Undefined, for the package manager to answer, plan, warn and
 * explain, whenever that is not plain: any newer version anywhere (dependencies may hold it back),
 * a table missing, changed, made from another index or expired, a signer no longer bound to its
 * repository (judgedTables), an installed package whose origin is not recorded (the package
 * manager works it out, and warns when it cannot), a version that does not parse.
 */
export async function noUpgrades(paths: Layout, now: Date): Promise<[] | undefined> {
  const db = readJsonSync<Database>(paths.installedDb);
  const installed = Object.values(db?.packages ?? {}).filter(
    (p) => p.origin !== 'file' && p.origin !== LOCAL_ORIGIN,
  );
  if (installed.length === 0) return [];
  if (installed.some((p) => !p.origin)) return undefined;
  const tables = await judgedTables(paths, now);
  if (!tables) return undefined;
  // semver (62 KB) only once some table offers an installed package's name.
  let gt: ((a: string, b: string) => boolean) | undefined;
  for (const { table } of tables)
    for (const p of installed)
      for (const version of versionsOf(table.rows, p.name)) {
        gt ??= (await import('semver')).gt;
        try {
          if (gt(version, p.version)) return undefined;
        } catch {
          return undefined;
        }
      }
  return [];
}

/** Whether any repository is configured (a file in ROOT/etc/blueprint/repos), without opening one. */
export function anyRepository(paths: Layout): boolean {
  return repoConfigFiles(paths.reposDir).length > 0;
}

/** The versions of the rows named `name` in a table's rows (`name\tversion\tsummary\n` each). */
export function versionsOf(rows: string, name: string): string[] {
  const out: string[] = [];
  const head = `${name}\t`;
  for (let at = rows.startsWith(head) ? 0 : nextLine(rows, `\n${head}`, 0); at !== -1; ) {
    const v = at + head.length;
    const end = rows.indexOf('\t', v);
    if (end === -1) break;
    out.push(rows.slice(v, end));
    at = nextLine(rows, `\n${head}`, end);
  }
  return out;
}

/** Where the next line starting with `lineHead` (a newline, then the line's start) begins, or -1. */
function nextLine(rows: string, lineHead: string, from: number): number {
  const at = rows.indexOf(lineHead, from);
  return at === -1 ? -1 : at + 1;
}

/**
 * What the package state on disk looks like, as far as an answer about upgrades depends on it:
 * the identity (inode, size, modification and change times in nanoseconds) of the installed
 * database, of every repository's configuration, and of every file kept for the repositories
 * (keyring, indexes, heads, tables, signatures). Any write changes it: a rename gives a new inode,
 * a write in place new times, and the change time cannot be set back. The app keeps its last
 * answer with the stamp it was computed under and gives it again while the stamp is the same, so
 * a Dashboard left open does not verify and parse every index every 2 s (issue 20).
 */
export function stateStamp(paths: Layout): string {
  const fs = nodeFs();
  const parts: string[] = [];
  const add = (file: string) => {
    const st = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
    parts.push(st ? `${file}\0${st.ino}\0${st.size}\0${st.mtimeNs}\0${st.ctimeNs}` : `${file}\0-`);
  };
  const each = (dir: string, deeper: boolean) => {
    add(dir);
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const p = path.join(dir, n);
      if (deeper && fs.statSync(p, { throwIfNoEntry: false })?.isDirectory()) each(p, false);
      else add(p);
    }
  };
  add(paths.installedDb);
  each(paths.reposDir, false);
  each(paths.listsDir, true);
  return parts.join('\n');
}
