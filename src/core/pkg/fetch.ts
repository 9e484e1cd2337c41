import { rm } from 'node:fs/promises';
import path from 'node:path';
import { BlueprintError, NotFoundError, VerificationError } from '../errors.js';
import { ensureDir, exists } from '../system/fs.js';
import { downloadFloor, downloadLimits, downloadPace } from './download-pace.js';
import { packageFileName } from './format.js';
import { MAX_SIGNATURE_BYTES } from './local-package.js';
import type { ProgressEvent, WrittenEvent } from './parts.js';
import { unknownSigner } from './repo-trust.js';
import type { RepoState } from './repos.js';
import type { Candidate } from './resolve.js';
import { type PublicKey, type SignatureCheck, verifyDetached } from './signature.js';
import { download, fetchBytes, joinUrl, sha256File } from './transport.js';

// Local package files (local-package.ts), importable from here where they were first written.
export {
  discardLocalCopy,
  folderNamed,
  MAX_LOCAL_PACKAGE_BYTES,
  MAX_SIGNATURE_BYTES,
  pruneLocalCopies,
  readLocalPackage,
} from './local-package.js';
export { downloadLimits };

/** What fetching and checking packages needs from the package manager. */
export interface FetchContext {
  cacheDir: string;
  /** ROOT/etc/blueprint/config.json: `downloads.minKiBPerSecond` (download-pace.ts). */
  configFile?: string;
  trusted: () => Promise<PublicKey[]>;
  /** The fingerprints (lower case) of the keys revoked on this box: their packages are refused before the download. */
  revoked?: () => Promise<string[]>;
  /** The box's own key (local-key.ts): trusted for local package files only, never for a repository. */
  localKey?: () => Promise<PublicKey | undefined>;
  now: () => Date;
  progress: (e: ProgressEvent) => void;
  /** A local package file's private copy, its bytes as they land (parts.ts WrittenEvent). */
  written?: (e: WrittenEvent) => void;
  signal?: AbortSignal;
}

/**
 * Makes a package available locally: copied into the cache (from a folder repository as from an
 * HTTP one), with its size and SHA-256 checked against the signed index on that one read. Its
 * signature is then checked on, and it is unpacked from, the cached copy: a folder on a USB stick
 * or an NFS server may serve different bytes on every read, so it is never read twice.
 */
export async function fetchPackage(ctx: FetchContext, c: Candidate, state: RepoState): Promise<string> {
  await ensureDir(ctx.cacheDir);
  const dest = path.join(ctx.cacheDir, packageFileName(c.entry));
  const cached = (await exists(dest)) && (await sha256File(dest)) === c.entry.sha256;
  if (cached) {
    ctx.progress({ phase: 'download', name: c.entry.name, bytes: c.entry.size, total: c.entry.size });
    return dest;
  }
  // Each mirror in turn: one that is down, serves other bytes than the signed index names, or
  // falls behind the floor (download-pace.ts: a mirror dripping would hold the box) is skipped;
  // download checks size and SHA-256 before anything is kept.
  const floor = await downloadFloor(ctx.configFile);
  await fromMirrors(state, ctx.signal, async (base) => {
    const pace = downloadPace(
      { base, name: packageFileName(c.entry), size: c.entry.size, floor, configFile: ctx.configFile },
      ctx.signal,
    );
    try {
      await download(joinUrl(base, c.entry.path), dest, c.entry, {
        signal: pace.signal,
        onProgress: (bytes, total) => {
          pace.got(bytes);
          ctx.progress({ phase: 'download', name: c.entry.name, bytes, ...(total ? { total } : {}) });
        },
      });
    } catch (err) {
      throw (!ctx.signal?.aborted && pace.failure()) || err;
    } finally {
      pace.done();
    }
  });
  return dest;
}

/** The detached signature served beside a repository's package (`URL.asc`); none is a refusal. */
export async function fetchPackageSignature(
  packageUrl: string,
  name: string,
  repo: string,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  return fetchSignatureBytes(`${packageUrl}.asc`, signal).catch((err) => {
    throw err instanceof NotFoundError
      ? new VerificationError(
          `${name} has no signature in repository ${repo}`,
          'no-signature',
          'Unsigned packages are never installed.',
        )
      : err;
  });
}

/**
 * A package's detached signature from one mirror, held to a deadline as the package is (the
 * base plus 64 KiB at the slowest rate): a mirror that drips it a byte at a time, never silent for
 * the socket's 30 s, would otherwise hold the install and the package lock for days and keep the
 * next mirror from being tried.
 */
export async function fetchSignatureBytes(url: string, signal?: AbortSignal): Promise<Uint8Array> {
  const ms = Math.ceil(
    downloadLimits.baseMs + (MAX_SIGNATURE_BYTES / downloadLimits.minBytesPerSecond) * 1000,
  );
  const deadline = AbortSignal.timeout(ms);
  try {
    return await fetchBytes(
      url,
      MAX_SIGNATURE_BYTES,
      signal ? AbortSignal.any([signal, deadline]) : deadline,
    );
  } catch (err) {
    if (deadline.aborted && !signal?.aborted)
      throw new BlueprintError(
        `${url} did not serve its signature within ${Math.round(ms / 1000)} s`,
        'mirror-timeout',
        'The mirror is stalling; other mirrors are tried where the repository has them.',
      );
    throw err;
  }
}

/**
 * Runs `f` on each of the repository's URLs until one succeeds; throws the first error. The order
 * the install fetches a package and its signature in, and the dry run its signature alone.
 */
export async function fromMirrors<T>(
  state: RepoState,
  signal: AbortSignal | undefined,
  f: (base: string) => Promise<T>,
): Promise<T> {
  let first: unknown;
  for (const base of state.urls ?? [state.url]) {
    try {
      return await f(base);
    } catch (err) {
      if (signal?.aborted) throw err;
      first ??= err;
    }
  }
  throw first;
}

/**
 * Checks a fetched package's own detached signature; resolves with the signer's fingerprint.
 * The cached copy that fails is deleted.
 */
export async function checkPackageSignature(
  ctx: FetchContext,
  c: Candidate,
  state: RepoState,
  file: string,
): Promise<SignatureCheck & { signature: Uint8Array }> {
  const name = packageFileName(c.entry);
  ctx.progress({ phase: 'verify', name: c.entry.name });
  try {
    const trusted = await ctx.trusted();
    return await fromMirrors(state, ctx.signal, async (base) => {
      const sig = await fetchPackageSignature(joinUrl(base, c.entry.path), name, c.repo, ctx.signal);
      const check = await verifyDetached({ file }, sig, trusted, name, ctx.now()).catch((err: unknown) => {
        throw unknownSigner(err, state.name, state.keys);
      });
      return { ...check, signature: sig };
    });
  } catch (err) {
    await rm(file, { force: true });
    throw err;
  }
}
