import path from 'node:path';
import type { Layout } from '../system/paths.js';
import { readBeneath } from '../system/state-file.js';
import { type Database, entriesNamed, type InstalledPackage } from './db.js';
import type { RepoIndex } from './format.js';
import { parseIndexFast } from './index-fast.js';
import { judgeKeysFast } from './key-fast.js';
import { readKeyFiles } from './keyring-cache.js';
import { LOCAL_ORIGIN, localKeyDir } from './local-key-path.js';
import { nodeFs, readJsonSync, repoConfigFiles, semverGt } from './node-lazy.js';
import { readKey } from './sealed.js';
import { judgedTables, keptRepositories } from './search-fast.js';
import { verifyDetachedFast } from './sig-fast.js';

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
 * manager works it out, and warns when it cannot) or is no configured repository (it warns that
 * the package is not upgraded), a version that does not parse. A reader that
 * cannot check the tables' seals (not root) reads each repository's kept index, verified against its
 * signature, instead (verifiedOffers).
 */
export async function noUpgrades(paths: Layout, now: Date): Promise<[] | undefined> {
  // Another user's tree (`status`: state-file.ts readStatesBeneath): these reads go by name, so a
  // folder of it swapped for a link out answered from another box's files (var/lib/blueprint/pkg ->
  // elsewhere: "none"). Not answered there: the package manager's reads go through the descriptors
  // (test/security/status-tree-repos).
  if (readBeneath(paths.installedDb)) return undefined;
  const installed = fromRepositories(paths);
  if (!installed) return undefined;
  if (installed.length === 0) return [];
  // The sealed tables; a reader that cannot check their seals (not root) checks the indexes.
  const tables = (await readKey(paths))
    ? (await judgedTables(paths, now))?.map(
        ({ table }): Offers => ({
          versionsOf: (name) => versionsOf(table.rows, name),
        }),
      )
    : await verifiedOffers(paths, now);
  if (!tables) return undefined;
  for (const { versionsOf } of tables)
    for (const p of installed) if (await anyNewer(versionsOf(p.name), p.version)) return undefined;
  return [];
}

/** The installed packages that came from a repository; undefined when one's origin is not recorded. */
function fromRepositories(paths: Layout): InstalledPackage[] | undefined {
  const db = readJsonSync<Database>(paths.installedDb);
  // No database (`"packages": 7`, `[]`), or an entry not a package's name and version: the package
  // manager names it (damaged-file).
  if (db && (db.packages?.constructor !== Object || !entriesNamed(db.packages))) return undefined;
  const installed = Object.values(db?.packages ?? {}).filter(
    (p) => p.origin !== 'file' && p.origin !== LOCAL_ORIGIN,
  );
  if (installed.some((p) => !p.origin)) return undefined;
  // One from a repository no longer configured: the package manager says it is not upgraded.
  const configured = new Set(repoConfigFiles(paths.reposDir).map((f) => f.slice(0, -'.json'.length)));
  return installed.some((p) => !configured.has(p.origin)) ? undefined : installed;
}

/**
 * Whether any of `versions` is newer than `installed`: also when one does not parse (ask the plan).
 * semver (62 KB) loads only once some repository offers an installed package's name.
 */
async function anyNewer(versions: string[], installed: string): Promise<boolean> {
  if (versions.length === 0) return false;
  const gt = await semverGt();
  try {
    return versions.some((v) => gt(v, installed));
  } catch {
    return true;
  }
}

/**
 * For a reader that cannot check the tables' seals (the key is root's; an admin's console runs as
 * the admin): each repository's kept index, verified against its signature by the key that signed it
 * at `update` among the repository's bound keys (the trusted key files judged by key-fast.ts, the
 * signature by sig-fast.ts: the same judgement as OpenPGP.js's for the shapes they take) and parsed
 * from the same bytes (index-fast.ts), as the package manager verifies a kept index it cannot take
 * from the sealed cache (repos.ts verifyKept), without OpenPGP.js and zod. Undefined at the first
 * doubt: a key or signature of another shape, a signer not bound, a failed check, an index that
 * does not parse as it is or has expired.
 */
async function verifiedOffers(paths: Layout, now: Date): Promise<Offers[] | undefined> {
  const fs = nodeFs();
  const keys = judgeKeysFast(
    await readKeyFiles(paths.keysDir),
    path.join(localKeyDir(paths), 'public.asc'),
    now,
  );
  const kept = keptRepositories(paths);
  if (!keys || !kept) return undefined;
  const out: Offers[] = [];
  for (const { name, signer: fingerprint } of kept) {
    const dir = path.join(paths.listsDir, name);
    const signer = fingerprint.toLowerCase();
    const by = keys.flatMap((k) => (k.fast?.fingerprint === signer ? [k.fast] : []));
    const bytes = fs.readFileSync(path.join(dir, 'index.json'));
    if (!by.length || !verifyDetachedFast(bytes, fs.readFileSync(path.join(dir, 'index.json.asc')), by, now))
      return undefined;
    let index: RepoIndex | undefined;
    try {
      index = parseIndexFast(bytes);
    } catch {
      return undefined;
    }
    if (!index || Date.parse(index.expires) <= now.getTime()) return undefined;
    const byName = new Map<string, string[]>();
    for (const e of index.packages) byName.set(e.name, [...(byName.get(e.name) ?? []), e.version]);
    out.push({ versionsOf: (name) => byName.get(name) ?? [] });
  }
  return out;
}

/** The versions one repository offers of a name. */
interface Offers {
  versionsOf(name: string): string[];
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
    return st;
  };
  /** What is in `dir` (and, `deeper`, in its folders): each entry stated once. */
  const within = (dir: string, deeper: boolean) => {
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const p = path.join(dir, n);
      if (add(p)?.isDirectory() && deeper) within(p, false);
    }
  };
  add(paths.installedDb);
  add(paths.reposDir);
  within(paths.reposDir, false);
  add(paths.listsDir);
  within(paths.listsDir, true);
  return parts.join('\n');
}
