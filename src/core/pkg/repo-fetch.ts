import path from 'node:path';
import { VerificationError } from '../errors.js';
import { damagedFile } from '../system/damaged-file.js';
import type { Layout } from '../system/paths.js';
import type { RepoIndex } from './format.js';
import { checkFreshness } from './freshness.js';
import { headOf, type IndexHead, readHead, scannedHead, sha256Hex } from './index-cache.js';
import { parseIndexFast } from './index-fast.js';
import { type ScannedIndex, scanIndex } from './index-scan.js';
import type { IndexStager, StagedIndex } from './index-stage.js';
import type { RepoConfig } from './repo-config.js';
import type { RepoTrust } from './repo-trust.js';
import type { SignatureCheck } from './signature.js';
import { fetchBytes, joinUrl } from './transport.js';

const MAX_INDEX_BYTES = 64 * 1024 * 1024;

/**
 * The index format's checks, loaded where an index is parsed: with zod (375 KB, ~25 ms to load)
 * they are most of what an update that finds the index unchanged would otherwise load for nothing.
 */
const format = () => import('./format.js');
/** parseIndex, with zod loaded only for an index index-fast.ts does not accept outright. */
export const parseIndex = async (bytes: Uint8Array, asParsed?: { value: boolean }) =>
  parseIndexFast(bytes, asParsed) ?? (await format()).parseIndex(bytes);
/** parseStoredIndex, likewise (its own errors, and its leniency, for what fastIndex does not take). */
export const parseStoredIndex = async (bytes: Uint8Array) => {
  let fast: RepoIndex | undefined;
  try {
    fast = parseIndexFast(bytes);
  } catch {}
  return fast ?? (await format()).parseStoredIndex(bytes);
};

/** One URL's index, verified (fetchIndexFrom), for Repositories.updateOne to weigh against the others. */
export interface Fetched {
  bytes: Uint8Array;
  sig: Uint8Array;
  check: SignatureCheck;
  head: IndexHead;
  /** The index parsed; absent when the kept caches already hold it (these bytes, this signer). */
  index?: RepoIndex;
  /** `index` is exactly what JSON.parse made of `bytes` (index-fast.ts): the cache can be the bytes. */
  asParsed?: boolean;
  /** The index judged by scanIndex instead of parsed (then no `index`): kept with writeScanned. */
  scanned?: ScannedIndex;
  same: boolean;
  /** The bound keys, with a rotated key this URL's notice vouched for. */
  keys: string[];
  rotated?: string;
  /** The bytes and signature on their way into the repository's folder (when not the kept bytes). */
  staged?: StagedIndex;
}

/**
 * The kept index's head, the rollback check's baseline. Damaged, it is the box's file that is
 * wrong, not the publisher's index: refused as such (taken as absent, it would drop the check).
 */
async function keptBaseline(paths: Layout, name: string, bytes: Buffer): Promise<RepoIndex> {
  try {
    return await parseStoredIndex(bytes);
  } catch (err) {
    const dir = path.join(paths.listsDir, name);
    throw damagedFile(
      path.join(dir, 'index.json'),
      err,
      `It is the index last accepted from the repository (the baseline of its rollback check). Remove the folder ${dir} and run \`bpkg update\`: it fetches and verifies the index again.`,
    );
  }
}

/** One URL's index: signed by the repository's keys, naming it, fresh, not older than the last. */
export async function fetchIndexFrom(
  ctx: { paths: Layout; trust: RepoTrust; now: () => Date; stager?: IndexStager },
  repo: RepoConfig,
  url: string,
  boundKeys: string[],
  prevBytes: Buffer | undefined,
  prevSigner: string | undefined,
  signal: AbortSignal,
): Promise<Fetched> {
  const keys = [...boundKeys];
  const rotated = await ctx.trust.acceptRotation(repo, url, keys, signal);
  const bytes = await fetchBytes(joinUrl(url, 'index.json'), MAX_INDEX_BYTES, signal);
  const what = `The index of repository ${repo.name}`;
  const same = prevBytes ? Buffer.compare(prevBytes, Buffer.from(bytes)) === 0 : false;
  // New bytes start on their way to the disk now, the thread pool writing and syncing them while
  // this thread checks and judges them; renamed only once accepted (updateOne), else removed.
  const staged = same ? undefined : ctx.stager?.stage(bytes);
  // The index's own signature: index.json.asc, else the one a bucket keeps by the index's hash.
  const verified = await ctx.trust.verifyServed(repo, url, 'index.json', keys, bytes, what, signal, (sig) =>
    staged?.signature(sig),
  );
  const { sig, check } = verified;
  // The kept index's sealed head, when it was made from exactly the kept bytes (their SHA-256):
  // what judging the new index needs of the old one, without parsing the old one. The same
  // bytes verified again by the same signer need no parse at all: the head holds what they say.
  // Made on the signature's way when it could be (verifyServed): the same bytes, hashed once.
  const sha256 = verified.sha256 ?? sha256Hex(bytes);
  const prevHead = prevBytes ? await readHead(ctx.paths, repo.name) : undefined;
  const keptHead =
    prevHead && prevHead.sha256 === (same ? sha256 : sha256Hex(prevBytes!)) ? prevHead : undefined;
  const asParsed = { value: false };
  const known = same && keptHead?.signer === check.signer;
  // An index as `repo build` writes it is judged in one pass over its text (index-scan.ts); any
  // other is parsed and checked as before.
  const scanned = known ? undefined : scanIndex(bytes);
  const index = known || scanned ? undefined : await parseIndex(bytes, asParsed);
  const head = scanned
    ? scannedHead(scanned, check.signer, sha256)
    : index
      ? headOf({ index, signer: check.signer, sha256 })
      : keptHead!;
  if (repo.repository !== undefined && head.repository !== repo.repository)
    throw new VerificationError(
      `${what} names repository ${JSON.stringify(head.repository)}, not ${JSON.stringify(repo.repository)}`,
      'repository-mismatch',
      'This URL serves another repository’s index (a mirror mix-up or an attack); the current index stays in use. If the publisher really renamed it, remove and add the repository again.',
    );
  let previous: Pick<IndexHead, 'version' | 'repository'> | undefined = same
    ? head
    : prevBytes
      ? (keptHead ?? (await keptBaseline(ctx.paths, repo.name, prevBytes)))
      : undefined;
  if (
    previous &&
    (!keys.includes(prevSigner?.toLowerCase() ?? '') || previous.repository !== head.repository)
  )
    previous = undefined;
  const sameAsBaseline = previous !== undefined && same;
  checkFreshness(ctx.now(), head, previous, what, sameAsBaseline);
  return {
    bytes,
    sig,
    check,
    head,
    ...(index ? { index, ...(asParsed.value ? { asParsed: true } : {}) } : {}),
    ...(scanned ? { scanned } : {}),
    same: sameAsBaseline,
    keys,
    ...(rotated ? { rotated } : {}),
    ...(staged ? { staged } : {}),
  };
}
