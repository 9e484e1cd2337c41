/**
 * One package taken from one repository and unpacked into a folder of the caller's, without
 * installing it: what `blueprint system update --from REPO` hands to RAUC (issue 21). The checks
 * are an install's: the entry from that repository's verified index, size and SHA-256 against it,
 * the package's own signature by a key bound to that repository (a key trusted for another
 * repository signs nothing here), the manifest against the entry and its `files` hashes.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { gt } from 'semver';
import { NotFoundError, storageErrorFrom, VerificationError } from '../errors.js';
import { type Extracted, extractPackage } from './archive.js';
import { checkPackageSignature, fetchPackage } from './fetch.js';
import { type IndexEntry, type Manifest, packageFileName } from './format.js';
import { streamPackage } from './install-stream.js';
import { MAX_PACKAGE_BYTES } from './limits.js';
import type { ManagerParts } from './parts.js';
import { archMatches } from './resolve.js';
import { usableStates } from './states.js';
import { checkDeclaredHashes, manifestMatchingIndex } from './verify-files.js';

export interface FetchedPackage {
  entry: IndexEntry;
  repo: string;
  /** Fingerprint of the repository key that signed the package. */
  signer: string;
  manifest: Manifest;
  /** The unpacked payload, inside the caller's folder. */
  payload: string;
}

export interface FetchVerifiedOptions {
  repo: string;
  name: string;
  arch: string;
  /** An empty folder of the caller's (made if missing); the payload lands in `into/payload`. */
  into: string;
  /** This version exactly; left out: the newest. */
  version?: string;
  /** Judges the chosen entry before a byte is downloaded (throws to refuse). */
  accept?: (entry: IndexEntry) => void;
}

/** The newest version (or `version`) of `name` for `arch` that `repo`'s verified index offers. */
export async function offeredBy(p: ManagerParts, repo: string, name: string, arch: string, version?: string) {
  const state = (await usableStates(p, true)).find((s) => s.name === repo);
  if (!state)
    throw new NotFoundError(
      `no usable repository named ${repo}`,
      'See `bpkg repo list`; run `bpkg update` if it was never fetched.',
      'repo-missing',
    );
  const entry = state.index.packages
    .filter(
      (e) => e.name === name && archMatches(e.arch, arch) && (version === undefined || e.version === version),
    )
    .reduce<IndexEntry | undefined>(
      (best, e) => (!best || gt(e.version, best.version) ? e : best),
      undefined,
    );
  if (!entry)
    throw new NotFoundError(
      `repository ${repo} offers no ${name}${version === undefined ? '' : ` ${version}`} for ${arch}`,
      'Run `bpkg update`; the publisher adds one with `blueprint repo build`.',
      'package-missing',
    );
  return { state, entry };
}

export async function fetchVerified(p: ManagerParts, opts: FetchVerifiedOptions): Promise<FetchedPackage> {
  const { state, entry } = await offeredBy(p, opts.repo, opts.name, opts.arch, opts.version);
  opts.accept?.(entry);
  const c = { entry, repo: state.name };
  const limits = {
    maxUnpackedBytes: Math.min(MAX_PACKAGE_BYTES, Math.max(256 * 1024 ** 2, entry.size * 4)),
    maxEntries: 10_000,
  };
  p.progress({ phase: 'download', name: entry.name, bytes: 0, total: entry.size });
  // Read once, as an install does (install-stream.ts): a multi-GB bundle is not copied into the
  // cache first, and its signature, SHA-256 and unpacking all see the same bytes.
  const streamed = await streamPackage(p.fetchContext, c, state, opts.into, limits, () =>
    p.keyring.fastKeys(state.keys),
  ).catch((err) => {
    throw storageErrorFrom(err, `unpacking ${entry.name}`);
  });
  if (streamed) {
    const signer = p.repos.requireOwnSigner(state, streamed.signer, packageFileName(entry));
    return verified(state.name, entry, signer, streamed.out, opts.into);
  }
  const file = await fetchPackage(p.fetchContext, c, state);
  try {
    const signed = checkPackageSignature(p.fetchContext, c, state, file).then((s) =>
      p.repos.requireOwnSigner(state, s.signer, packageFileName(entry)),
    );
    signed.catch(() => {}); // awaited below; an early failure must not go unhandled meanwhile
    p.progress({ phase: 'unpack', name: entry.name });
    const unpack = extractPackage(file, opts.into, limits, p.signal).catch((err) => {
      throw storageErrorFrom(err, `unpacking ${entry.name}`);
    });
    // The signature's verdict comes first: for a tampered package it is the better answer.
    const out = await unpack.catch(async (err) => {
      await signed;
      throw err;
    });
    const signer = await signed;
    if (out.archiveSize !== entry.size || out.archiveSha256 !== entry.sha256)
      throw new VerificationError(
        `${packageFileName(entry)}: ${out.archiveSize} bytes with SHA-256 ${out.archiveSha256}, the signed index says ${entry.size} bytes, ${entry.sha256}`,
        out.archiveSize !== entry.size ? 'size-mismatch' : 'hash-mismatch',
        'The file changed or the mirror is out of date; nothing was used.',
      );
    return verified(state.name, entry, signer, out, opts.into);
  } finally {
    // Unpacked once into the caller's folder: the cached copy would only hold the disk twice.
    await rm(file, { force: true });
  }
}

/** The manifest held to the index entry and its `files` hashes to what was unpacked. */
function verified(
  repo: string,
  entry: IndexEntry,
  signer: string,
  out: Extracted,
  into: string,
): FetchedPackage {
  const manifest = manifestMatchingIndex(out.manifestBytes, entry, 'nothing was used');
  checkDeclaredHashes(manifest, out.files);
  return { entry, repo, signer, manifest, payload: path.join(into, 'payload') };
}
