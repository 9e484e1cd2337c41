import path from 'node:path';
import type { Layout } from '../system/paths.js';
import { type Database, emptyDatabase, entriesNamed } from './db.js';
import { plainName, readSearchTable, type SearchTable } from './index-head.js';
import type { SearchHit } from './manager.js';
import { readJsonSync, repoConfigFiles, semverGt } from './node-lazy.js';

/**
 * `bpkg search` from the sealed search tables (index-cache.ts), without the package manager: the
 * same answer as PackageManager.search, in the same order, or undefined whenever that answer
 * needs more than the tables hold. Then the caller asks the package manager, which verifies,
 * warns and explains: a repository whose kept index is signed by a key no longer bound to it, an
 * expired index, a table missing, changed on disk, or made from another index than the one the
 * sealed head names (an older table put back: readSearchTable). test/pkg/search-table.test.ts
 * holds the two to the same answers; test/pkg/search-table-rollback.test.ts the older table.
 */
export async function searchTables(paths: Layout, word: string, now: Date): Promise<SearchHits | undefined> {
  const w = word.toLowerCase();
  // Every table read and judged first (any doubt: no answer), then searched.
  const tables = await judgedTables(paths, now);
  if (!tables) return undefined;
  /**
   * One table by name (the usual box: one repository) holds the answer in its own order: the
   * rows of one name are adjacent, so a hit for the name just found is a later hit for it. Else
   * hits are kept by name in a Map. Together with the `plain` flag below: the quick search's
   * hits step 1.3 -> 0.24 ms (marks, 21 runs), the whole search -1.0 ms wall and -1.1 ms CPU
   * (paired medians of 100 runs, load 1.6) for ~1,400 hits (issue 20).
   */
  const inOrder = tables.length === 1 && tables[0]!.table.sorted;
  /** Every table sorted by name / judged printable / of plain names when written, and every repository's name printable. */
  let sorted = true;
  let printable = true;
  let namesPlain = true;
  const best = new Map<string, SearchHit>();
  /** The hits in order, when inOrder. */
  const list: SearchHit[] = [];
  /** Hits for a name already found, in order: semver (62 KB) loads only when there are any. */
  const later: SearchHit[] = [];
  for (const { repo: repoName, table } of tables) {
    sorted &&= table.sorted;
    printable &&= table.printable && PRINTABLE.test(repoName);
    namesPlain &&= table.plain;
    const rows = table.rows;
    /** The line of `text` (rows by default) from `start` to `end`, tabs at t1 and t2, as a hit. */
    const hit = (start: number, t1: number, t2: number, end: number, text = rows) => {
      const name = text.slice(start, t1);
      const h = { name, version: text.slice(t1 + 1, t2), summary: text.slice(t2 + 1, end), repo: repoName };
      if (inOrder) {
        if (list.length && list[list.length - 1]!.name === name) later.push(h);
        else list.push(h);
      } else if (best.has(name)) later.push(h);
      else best.set(name, h);
    };
    const found = (line: string) => {
      const t1 = line.indexOf('\t');
      const t2 = line.indexOf('\t', t1 + 1);
      const name = line.slice(0, t1);
      const summary = line.slice(t2 + 1);
      if (name.includes(w) || summary.toLowerCase().includes(w)) hit(0, t1, t2, line.length, line);
    };
    // Lines whose lower-cased text holds the word somewhere are checked field by field, exactly as
    // the package manager does; the others (most, for a real word) are skipped without being cut
    // out. In an all-ASCII table lower-casing maps A–Z alone, which is what a case-insensitive
    // regular expression without the `u` flag matches (it never maps a character beyond ASCII to
    // one within), so the word's hits are found without a lower-cased copy of the table.
    if (table.ascii) {
      // test() rather than exec(): no match array per hit (~190 KB for 1,429 hits, most of a young
      // generation that two scavenges then collected, issue 20). A case-insensitive ASCII match
      // is as long as the word, so it starts at lastIndex - w.length.
      const re = new RegExp(w.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&'), 'gi');
      while (re.test(rows)) {
        const at = re.lastIndex - w.length;
        const end = rows.indexOf('\n', at);
        if (end === -1) break; // past the last line (every line ends with a newline)
        const start = rows.lastIndexOf('\n', at) + 1;
        const t1 = rows.indexOf('\t', start);
        const t2 = rows.indexOf('\t', t1 + 1);
        // A match inside the summary is the summary's lower-cased text holding the word (the
        // usual hit): found without cutting the line out or lower-casing a copy of it.
        if (at > t2 && at + w.length <= end) hit(start, t1, t2, end);
        else found(rows.slice(start, end));
        re.lastIndex = end + 1;
      }
      continue;
    }
    // Otherwise lower-casing keeps tabs and newlines, so line N of one text is line N of the other.
    const lower = rows.toLowerCase();
    let next = lower.indexOf(w);
    for (let at = 0, lat = 0; at < rows.length; ) {
      const end = rows.indexOf('\n', at);
      const lend = lower.indexOf('\n', lat);
      if (next !== -1 && next < lat) next = lower.indexOf(w, lat);
      if (next === -1) break;
      if (next < lend) found(rows.slice(at, end));
      at = end + 1;
      lat = lend + 1;
    }
  }
  if (later.length) {
    // As the package manager keeps the newest: a later hit replaces one only when strictly newer.
    const gt = await semverGt();
    if (inOrder) {
      // The one hit of each name in `list`, found by its place among hits by name.
      let k = 0;
      for (const h of later) {
        while (list[k]!.name !== h.name) k++;
        if (gt(h.version, list[k]!.version)) list[k] = h;
      }
    } else for (const h of later) if (gt(h.version, best.get(h.name)!.version)) best.set(h.name, h);
  }
  const db = readJsonSync<Database>(paths.installedDb) ?? emptyDatabase();
  // No database (`"packages": 7`, `[]`), or an entry not a package's name and version: the package
  // manager's search names it (damaged-file).
  if (db.packages?.constructor !== Object || !entriesNamed(db.packages)) return undefined;
  // A box with nothing installed (the common case for a search): the hits as they are, no copy.
  const hits: SearchHits = inOrder ? list : [...best.values()];
  if (Object.keys(db.packages).length)
    for (let k = 0; k < hits.length; k++) {
      const installed = db.packages[hits[k]!.name]?.version;
      if (!installed) continue;
      hits[k] = { ...hits[k]!, installed };
      printable &&= PRINTABLE.test(installed);
    }
  // Package names are lower-case letters, digits and dashes (format.ts), for which localeCompare's
  // order is the order of their code units (test/pkg/search-table.test.ts), without loading ICU's
  // collator for the first comparison. Any other name: localeCompare, as the package manager sorts.
  // From tables sorted by name, one repository's hits come in that order already (a name found in
  // a later repository breaks it): then no sort.
  // Names judged plain when the tables were written need no check of each (a charCode loop a
  // hit, in code that is still cold, issue 20); the order is still checked, a string comparison a hit.
  let plain = true;
  let ordered = sorted;
  if (namesPlain)
    for (let k = 1; ordered && k < hits.length; k++) ordered = hits[k - 1]!.name < hits[k]!.name;
  else
    for (let k = 0; plain && k < hits.length; k++) {
      plain = plainName(hits[k]!.name);
      ordered &&= k === 0 || hits[k - 1]!.name < hits[k]!.name;
    }
  if (!(plain && ordered))
    hits.sort(
      plain
        ? (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
        : (a, b) => a.name.localeCompare(b.name),
    );
  // Not enumerable: the hits compare and print (JSON) as the package manager's do.
  if (printable) Object.defineProperty(hits, 'printable', { value: true });
  return hits;
}

/**
 * The sealed search table of every repository with a kept index, each judged as the package
 * manager would judge the index: its signer still one of the repository's keys, the table made
 * from the kept index (readSearchTable) and not expired. Undefined at the first doubt: the caller
 * then asks the package manager, which warns and explains (a repository never updated has no
 * kept index and no table, for the package manager too).
 */
export async function judgedTables(
  paths: Layout,
  now: Date,
): Promise<{ repo: string; table: SearchTable }[] | undefined> {
  const kept = keptRepositories(paths);
  if (!kept) return undefined;
  const tables: { repo: string; table: SearchTable }[] = [];
  for (const { name, signer } of kept) {
    const table = await readSearchTable(paths, name);
    if (!table || table.signer !== signer || Date.parse(table.expires) <= now.getTime()) return undefined;
    tables.push({ repo: name, table });
  }
  return tables;
}

/**
 * Each configured repository with a kept index (its meta.json), and the key that signed that
 * index as meta.json writes it; undefined when one was signed by a key no longer bound to its
 * repository (the package manager warns and leaves it out: repos.ts stateProblem). The quick
 * search and the quick count of upgrades (upgradable-fast.ts) judge repositories alike.
 */
export function keptRepositories(paths: Layout): { name: string; signer: string }[] | undefined {
  const out: { name: string; signer: string }[] = [];
  for (const f of repoConfigFiles(paths.reposDir)) {
    const repo = readJsonSync<{ name: string; keys?: string[] }>(path.join(paths.reposDir, f));
    if (!repo) continue;
    const meta = readJsonSync<{ signer: string }>(path.join(paths.listsDir, repo.name, 'meta.json'));
    if (!meta) continue;
    if (!(repo.keys ?? []).includes(meta.signer.toLowerCase())) return undefined;
    out.push({ name: repo.name, signer: meta.signer });
  }
  return out;
}

/**
 * Hits, and whether every cell of them (name, version, repository, summary, installed version) is
 * printable ASCII, as the tables said when they were written (SearchTable.printable): shown
 * without escaping or a check of each.
 */
export type SearchHits = SearchHit[] & { printable?: true };

/** Printable ASCII (space to `~`) only. */
const PRINTABLE = /^[\x20-\x7e]*$/;
