import path from 'node:path';
import type { Layout } from '../system/paths.js';
import type { RepoIndex } from './format.js';
import {
  HEAD_FILE,
  HEAD_KIND,
  headWith,
  type IndexHead,
  plainName,
  readHead,
  TABLE_FILE,
  TABLE_KIND,
  type TableHead,
  tableHeadLine,
} from './index-head.js';
import type { ScannedIndex } from './index-scan.js';
import { nodeCrypto, nodeFs } from './node-lazy.js';
import { sameBytesAs } from './pieces.js';
import { readKey, readSealed } from './sealed.js';
import { sealHolds, writeSealed } from './sealed-write.js';

export { type IndexHead, readHead, readSearchTable, type SearchTable } from './index-head.js';

const fsp = () => nodeFs().promises;

/**
 * The verified index cache: what `bpkg update` verified (signature, schema, freshness), kept as
 * `lists/NAME/verified.json` so search, info and install take it as it is: one JSON.parse, no
 * schema pass over every entry (the index of 10,000 packages cost ~80 ms to validate again on each
 * command), no OpenPGP.
 *
 * Honest because it is sealed: an HMAC-SHA-256 over the repository's name and the content, keyed
 * with 32 random bytes only this box holds (`lists/.cache-key`, mode 0600). A cache changed on disk
 * by anyone without the key, another repository's cache copied in, a torn write: none of them
 * matches its seal, and then the caller verifies the kept index.json against its signature again
 * (Repositories.state) and rebuilds the cache, or refuses. A reader that cannot read the key (a
 * user other than root) always takes that slower, verified path.
 */
export interface VerifiedIndex {
  index: RepoIndex;
  /** Fingerprint of the key whose signature was verified. */
  signer: string;
  /** SHA-256 of the index.json bytes that were verified. */
  sha256: string;
}

const CACHE_FILE = 'verified.json';

/** node:crypto when first used: this module is in the executable's start part (node-lazy.ts). */
export const sha256Hex = (bytes: Uint8Array): string =>
  nodeCrypto().createHash('sha256').update(bytes).digest('hex');

/**
 * Keeps what `update` just verified, its search table and its head. `asParsed`: the verified bytes,
 * when `v.index` is exactly what JSON.parse makes of them (index-fast.ts): the cache then holds them
 * as they are, which reads back as the same index, instead of a stringify of 10,000 entries (~10 ms
 * of a first update, and its 2.6 MB string to collect).
 */
export async function writeVerified(
  paths: Layout,
  name: string,
  v: VerifiedIndex,
  asParsed?: Uint8Array,
): Promise<void> {
  const payload = asParsed
    ? rawCacheParts(v.signer, v.sha256, asParsed)
    : Buffer.from(JSON.stringify({ signer: v.signer, sha256: v.sha256, index: v.index }));
  await writeKept(paths, name, headOf(v), payload, asParsed !== undefined, rowsOf(v.index));
}

/**
 * Keeps an index that scanIndex judged (index-scan.ts) as writeVerified keeps the index parseIndex
 * gives for the same bytes, with `asParsed`: the cache is those bytes, the table the same rows,
 * the head the same (issue 20: a first update without JSON.parse's 10,000 objects).
 */
export async function writeScanned(
  paths: Layout,
  name: string,
  s: ScannedIndex,
  signer: string,
  sha256: string,
  bytes: Uint8Array,
): Promise<void> {
  const head = scannedHead(s, signer, sha256);
  // Every name, version and summary scanIndex takes is printable ASCII (no tab, newline or
  // control) and every name plain ([a-z0-9-]): known, not judged again over 600 KB of text.
  await writeKept(paths, name, head, rawCacheParts(signer, sha256, bytes), true, s, true);
}

/** headOf for an index scanIndex judged. */
export const scannedHead = (s: ScannedIndex, signer: string, sha256: string): IndexHead => ({
  signer,
  sha256,
  repository: s.repository,
  version: s.version,
  generated: s.generated,
  expires: s.expires,
  packages: s.names.length,
});

async function writeKept(
  paths: Layout,
  name: string,
  of: IndexHead,
  payload: Uint8Array | Uint8Array[],
  raw: boolean,
  rows: Rows,
  printable = false,
): Promise<void> {
  const cacheSeal = await writeSealed(paths, name, CACHE_FILE, payload);
  await writeSearchTable(paths, name, of, rows, printable);
  const head: IndexHead = { ...of, cache: cacheSeal, ...(raw ? { raw: true as const } : {}) };
  await writeSealed(paths, name, HEAD_FILE, Buffer.from(JSON.stringify(head)), HEAD_KIND);
}

/** What a search table is made of: each entry's name, version and summary, in the index's order. */
type Rows = Pick<ScannedIndex, 'names' | 'versions' | 'summaries'>;

const rowsOf = (index: RepoIndex): Rows => ({
  names: index.packages.map((e) => e.name),
  versions: index.packages.map((e) => e.version),
  summaries: index.packages.map((e) => e.summary),
});

/** The payload of a cache that holds the verified bytes as they are (writeVerified's `asParsed`), in parts. */
const rawCacheParts = (signer: string, sha256: string, bytes: Uint8Array): Uint8Array[] => [
  Buffer.from(`{"signer":${JSON.stringify(signer)},"sha256":${JSON.stringify(sha256)},"index":`),
  bytes,
  Buffer.from('}'),
];

/**
 * The kept verified index, or undefined when there is none, it does not match its seal, or it is not
 * the one the sealed head names (an older cache put back keeps its own seal: it must not be taken
 * for the index kept now; the kept index is then verified again, Repositories.state).
 */
export async function readVerified(paths: Layout, name: string): Promise<VerifiedIndex | undefined> {
  const payload = await readSealed(paths, name, CACHE_FILE);
  if (!payload) return undefined;
  const v = JSON.parse(payload.toString('utf8')) as VerifiedIndex;
  if (typeof v.signer !== 'string' || typeof v.sha256 !== 'string' || !Array.isArray(v.index?.packages))
    return undefined;
  const head = await readHead(paths, name);
  return head && head.sha256 === v.sha256 && head.signer === v.signer ? v : undefined;
}

export const headOf = (v: VerifiedIndex): IndexHead => ({
  signer: v.signer,
  sha256: v.sha256,
  repository: v.index.repository,
  version: v.index.version,
  generated: v.index.generated,
  expires: v.index.expires,
  packages: v.index.packages.length,
});

/**
 * Whether the cache and the search table on disk both match their seals and are the kept index's
 * (read and hashed, not parsed): the package manager's update (repos.ts) rebuilds whichever is
 * missing, changed or older. `kept`: the sealed head and index bytes the caller found to hash to
 * `head.sha256` (an unchanged update has just hashed them for the signature); without it, the
 * sealed head on disk. The cache must carry the seal the head names (`head.cache`). When the head
 * says the cache holds those bytes as they are (`head.raw`), the cache is checked by comparing it
 * with the sealed file it must be: that seal, a newline, the payload writeVerified made of those
 * bytes. The table must name the head's index (tableHolds). The head is sealed and the
 * bytes are bound to it by their SHA-256, so a file equal to that is exactly the file that was
 * sealed, as readSealed would find it: the same judgement without 2.6 MB through HMAC (issue 20).
 */
export async function cachesSealed(
  paths: Layout,
  name: string,
  kept?: { head: IndexHead; bytes: Uint8Array },
): Promise<boolean> {
  const key = await readKey(paths);
  if (!key) return false;
  const piece = Buffer.allocUnsafe(256 * 1024);
  const cache = path.join(paths.listsDir, name, CACHE_FILE);
  const head = kept?.head;
  const raw = head && rawCacheAround(paths, name, head);
  const cacheHolds = raw
    ? sameBytesAs(cache, [raw.before, kept!.bytes, raw.after], piece)
    : sealHolds(key, name, cache, 'index-cache', piece, sealedHex(head));
  if (!cacheHolds) return false;
  const bound = head ?? headWith(key, paths, name);
  return bound !== undefined && tableHolds(key, paths, name, piece, bound);
}

/**
 * Whether the search table matches its seal and was made from the index `of` (signer, SHA-256 and
 * expiry in its header line): an older table put back holds its own seal, but names another index.
 */
const tableHolds = (key: Buffer, paths: Layout, name: string, piece: Buffer, of: TableHead) => {
  // The header's three fields, in the order writeSearchTable writes them; its flags may follow.
  const opens = Buffer.from(tableHeadLine(of).slice(0, -1));
  return sealHolds(
    key,
    name,
    path.join(paths.listsDir, name, TABLE_FILE),
    TABLE_KIND,
    piece,
    undefined,
    opens,
  );
};

/**
 * The search table of a verified index written again unless it matches its seal and names that
 * index (an older table put back holds its own seal, tableHolds): the package
 * manager's search does this once the quick search (search-fast.ts) has declined, since an
 * unchanged quick update leaves a missing or changed table to search (update-fast.ts). Best
 * effort: a reader that may not write here still gets its answer.
 */
export async function keepSearchTable(paths: Layout, name: string, v: VerifiedIndex): Promise<void> {
  try {
    const key = await readKey(paths);
    const of = { signer: v.signer, sha256: v.sha256, expires: v.index.expires };
    if (key && tableHolds(key, paths, name, Buffer.allocUnsafe(256 * 1024), of)) return;
    await writeSearchTable(paths, name, of, rowsOf(v.index));
  } catch {}
}

/** The cache's seal the head names (hex), when it names one. */
const sealedHex = (head: IndexHead | undefined): string | undefined =>
  head?.cache !== undefined && /^[0-9a-f]{64}$/.test(head.cache) ? head.cache : undefined;

/**
 * When the head says its cache holds the verified bytes as they are (`raw`) and names its seal:
 * the cache file it must be, around bytes that hash to `head.sha256` (the seal, a newline and the
 * payload writeVerified makes of them). Whoever holds such bytes judges the cache by comparing it
 * with this (cachesSealed); undefined: by its seal.
 */
function rawCacheAround(
  paths: Layout,
  name: string,
  head: IndexHead,
): { file: string; before: Buffer; after: Buffer } | undefined {
  const sealed = sealedHex(head);
  if (sealed === undefined || !head.raw) return undefined;
  const [open, , close] = rawCacheParts(head.signer, head.sha256, new Uint8Array(0));
  return {
    file: path.join(paths.listsDir, name, CACHE_FILE),
    before: Buffer.concat([Buffer.from(`${sealed}\n`), open!]),
    after: Buffer.from(close!),
  };
}

/** Printable ASCII (space to `~`) only, which the terminal escapes leave as they are. */
const PRINTABLE = /^[\x20-\x7e]*$/;

/**
 * `known`: every field is printable ASCII and every name plain (scanIndex's rows): not judged again.
 */
async function writeSearchTable(
  paths: Layout,
  name: string,
  of: TableHead,
  r: Rows,
  known = false,
): Promise<void> {
  const { names, versions, summaries } = r;
  // The index refuses control characters in these fields (format.ts); should one ever get
  // through, no table is written and search reads the verified index instead. Judged over all
  // fields at once: each holds iff the whole does (two passes of native code, not 30,000).
  const fields = known ? '' : `${names.join('')}${versions.join('')}${summaries.join('')}`;
  if (/[\t\n\r]/.test(fields)) {
    await fsp().rm(path.join(paths.listsDir, name, TABLE_FILE), { force: true });
    return;
  }
  const printable = known || PRINTABLE.test(fields);
  const plain = known || names.every(plainName);
  // By name, so that search finds its hits in the order it answers them and need not sort them
  // (~0.6-0.9 ms of a quick `bpkg search` for ~1,400 hits, issue 20); sort() is stable, so the
  // entries of one name keep the index's order, which decides among them (search-fast.ts).
  const order = Array.from(names, (_, i) => i).sort((a, b) =>
    names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0,
  );
  const lines: string[] = new Array(order.length);
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    lines[k] = `${names[i]}\t${versions[i]}\t${summaries[i]}\n`;
  }
  const head = tableHeadLine(
    { signer: of.signer, sha256: of.sha256, expires: of.expires },
    { sorted: true, printable, plain },
  );
  // In two parts: the header line joined to the 650 KB of rows made a second flat copy of them.
  const parts = [Buffer.from(`${head}\n`), Buffer.from(lines.join(''))];
  await writeSealed(paths, name, TABLE_FILE, parts, TABLE_KIND);
}
