import type { Layout } from '../system/paths.js';
import { openSealed, readKey } from './sealed.js';

/**
 * What the quick commands read of a kept index (src/cli/commands/pkg-quick.ts): its sealed head and
 * its search table, each checked against its seal and the table against the head. Apart from
 * index-cache.ts, which writes them and the verified cache for the package manager: that side is
 * not in the executable's start part, which every command compiles (issue 20, 64 KB bound:
 * test/perf/start-path.test.ts).
 */

/**
 * What the next `update` needs of the kept index to judge a new one (rollback, same repository,
 * freshness) and to answer: sealed like the cache, ~200 bytes instead of the 2.6 MB cache of a
 * 10,000-package index to read and parse. Bound to the kept bytes by their SHA-256, which the
 * caller compares with the bytes it holds.
 */
export interface IndexHead {
  signer: string;
  sha256: string;
  repository: string;
  version: number;
  generated: string;
  expires: string;
  packages: number;
  /**
   * The seal (hex) of the cache written with this head: a cache with another seal, even one that
   * holds (an older cache put back), is not this index's (cachesSealed). Absent in heads written
   * before 2026-11-30 14:00: their caches are judged by their seals alone, as then.
   */
  cache?: string;
  /**
   * The cache holds the verified bytes as they are (writeVerified's `asParsed`): whoever holds
   * bytes whose SHA-256 is `sha256` then knows the whole sealed file the cache must be, and checks
   * it by comparing instead of hashing 2.6 MB again (cachesSealed).
   */
  raw?: true;
}

export const HEAD_FILE = 'head.json';
export const HEAD_KIND = 'index-head';
export const TABLE_FILE = 'search.tsv';

/** The kept index's head, or undefined when there is none or it does not match its seal. */
export async function readHead(paths: Layout, name: string): Promise<IndexHead | undefined> {
  const key = await readKey(paths);
  return key && headWith(key, paths, name);
}

export function headWith(key: Buffer, paths: Layout, name: string): IndexHead | undefined {
  const payload = openSealed(key, paths, name, HEAD_FILE, HEAD_KIND);
  if (!payload) return undefined;
  const h = JSON.parse(payload.toString('utf8')) as IndexHead;
  return typeof h.sha256 === 'string' && typeof h.version === 'number' && typeof h.expires === 'string'
    ? h
    : undefined;
}

/**
 * The search table: what `bpkg search` reads of a verified index (name, version and summary of
 * each entry, one line each, tab-separated) under a header line with the signer, the SHA-256 of
 * the index bytes and the index's expiry. Sealed like the cache, written with it from the same
 * verified index: search reads ~0.8 MB of text instead of parsing 2.6 MB of JSON into 10,000
 * objects (and collecting them), and loads neither zod nor the package manager
 * (src/core/pkg/search-fast.ts).
 */
export interface SearchTable {
  signer: string;
  sha256: string;
  expires: string;
  /**
   * `name\tversion\tsummary\n` per entry: in the index's order, or by name (code units; entries of
   * one name in the index's order) when `sorted`.
   */
  rows: string;
  /** Whether the rows are all ASCII (then lower-casing maps A–Z alone: search-fast.ts). */
  ascii: boolean;
  /** The rows are by name (tables written since 2026-11-30 19:10; older ones in the index's order). */
  sorted: boolean;
  /**
   * Every name, version and summary is printable ASCII (space to `~`), judged when the table was
   * written: a terminal shows them as they are, without escaping (cli/commands/pkg-quick.ts).
   */
  printable: boolean;
  /**
   * Every name is plain (plainName: `[a-z0-9-]`, as format.ts allows), judged when the table was
   * written: code-unit order is then localeCompare's, and search takes the table's order as the
   * answer's without a check of each hit's name (search-fast.ts). Absent in older tables.
   */
  plain: boolean;
}

export const TABLE_KIND = 'search-table';

/** What a search table's header line says of the index it was made from. */
export type TableHead = Pick<SearchTable, 'signer' | 'sha256' | 'expires'>;

/** The header line: what the table was made from, then the flags (writeSearchTable) when given. */
export const tableHeadLine = (
  h: TableHead,
  flags?: Pick<SearchTable, 'sorted' | 'printable'> & Partial<Pick<SearchTable, 'plain'>>,
): string => JSON.stringify({ signer: h.signer, sha256: h.sha256, expires: h.expires, ...flags });

/**
 * The repository's search table, or undefined when there is none, it does not match its seal, or
 * it was not made from the index the sealed head names (its signer, SHA-256 and expiry): a table
 * this box wrote for an older index still matches its seal, and put back it must not answer for
 * the index kept now (test/pkg/search-table-rollback.test.ts). The head is ~300 bytes, read once.
 */
export async function readSearchTable(paths: Layout, name: string): Promise<SearchTable | undefined> {
  const key = await readKey(paths);
  const of = key && headWith(key, paths, name);
  const payload = key && of && openSealed(key, paths, name, TABLE_FILE, TABLE_KIND);
  if (!of || !payload) return undefined;
  const text = payload.toString('utf8');
  const nl = text.indexOf('\n');
  const head = JSON.parse(text.slice(0, nl)) as Partial<SearchTable>;
  if (head.signer !== of.signer || head.sha256 !== of.sha256 || head.expires !== of.expires) return undefined;
  return {
    signer: head.signer,
    sha256: head.sha256,
    expires: head.expires,
    rows: text.slice(nl + 1),
    ascii: process.getBuiltinModule('node:buffer').isAscii(payload),
    sorted: head.sorted === true,
    printable: head.printable === true,
    plain: head.plain === true,
  };
}

/**
 * /^[a-z0-9-]+$/ without a regular expression (~60 bytes of garbage a call): the names for which
 * localeCompare's order is the order of their code units (test/pkg/search-table.test.ts).
 */
export function plainName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d)) return false;
  }
  return true;
}
