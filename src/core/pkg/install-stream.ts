/**
 * A repository's package read once (issue 20): each chunk that arrives from the mirror is hashed
 * for the signed index (SHA-256), hashed for its own detached signature (the hash the signature
 * names), and unpacked into staging, in one pass. Nothing is kept before all three hold: size and
 * SHA-256 against the signed index, then the signature by a trusted key. The floor a user would
 * reach for (`gpgv`, `sha256sum`, `tar -x`) reads the file three times; before this, install read
 * it three times too (a copy into the cache, the signature's digest, the unpack, which hashed the
 * archive again), and a folder repository's bytes could in principle differ between reads of the
 * source: here there is no second read to differ.
 */
import { createHash, type Hash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { NotFoundError, VerificationError } from '../errors.js';
import { ensureDir } from '../system/fs.js';
import { type Extracted, type ExtractLimits, extractStream } from './archive.js';
import { downloadFloor, downloadPace, type Pace } from './download-pace.js';
import { type FetchContext, fetchPackageSignature } from './fetch.js';
import { packageFileName } from './format.js';
import type { PooledRead } from './read-pool.js';
import { unknownSigner } from './repo-trust.js';
import type { RepoState } from './repos.js';
import type { Candidate } from './resolve.js';
import { refuseRevokedSigner } from './revoked-first.js';
import type { FastKey } from './sig-fast.js';
import { fastSignature } from './sig-fast.js';
import { type SignatureCheck, verifyDetached } from './signature.js';
import { signingKeyOf } from './signer-revoked.js';
import { joinUrl, openStream } from './transport.js';

export interface StreamedPackage {
  out: Extracted;
  /** Fingerprint of the trusted key whose signature over exactly these bytes is good. */
  signer: string;
  /** The key that made it: `signer` or one of its subkeys (signature.ts signingKeyOf). */
  signingKey: string;
  /** The detached signature checked (kept with the version: FileList.signature). */
  signature: Uint8Array;
}

/**
 * Fetches `c` from each of its repository's mirrors in turn and unpacks it into `staging` (made
 * here; the caller discards it on failure and moves it into place on success). Resolves only when
 * the size, the SHA-256 and the signature hold for the bytes unpacked. Undefined when the
 * signature is of a shape that needs the data itself rather than its digest (not v4 over SHA-2):
 * the caller then takes the copy-then-check path of fetch.ts.
 */
export async function streamPackage(
  ctx: FetchContext,
  c: Candidate,
  state: RepoState,
  staging: string,
  limits: ExtractLimits,
  /** The repository's own keys as sig-fast.ts takes them (Keyring.fastKeys). */
  fastKeys?: () => Promise<FastKey[]>,
): Promise<StreamedPackage | undefined> {
  // Nothing is kept in the package cache now, but its folder is part of the layout as before.
  await ensureDir(ctx.cacheDir);
  await refuseRevokedSigner(ctx, c, state);
  const floor = await downloadFloor(ctx.configFile);
  let first: unknown;
  for (const base of state.urls ?? [state.url]) {
    try {
      return await fromMirror(ctx, c, base, floor, staging, limits, fastKeys);
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      if (ctx.signal?.aborted) throw err;
      if (err instanceof VerificationError && err.code === 'signature-unsupported') return undefined;
      // Signed by a key not trusted here: said of the repository (its own key is the way).
      first ??= unknownSigner(err, state.name, state.keys);
    }
  }
  // Its signed index lists the package, its folder or host has no file for it: a bundle made for
  // other packages (its publisher's whole index comes with it), or a publisher's incomplete upload.
  // 'Check the repository path' sent the admin after a path that was right.
  if (first instanceof NotFoundError && first.code === 'not-found-remote')
    throw new NotFoundError(
      `repository ${c.repo} lists ${c.entry.name} ${c.entry.version} but has no file for it (${first.message})`,
      `A bundle made by \`bpkg bundle\` holds only the packages it was made with: make one with ${c.entry.name}. Otherwise the repository is incomplete: tell its publisher. Nothing was installed.`,
      'not-found-remote',
    );
  throw first;
}

async function fromMirror(
  ctx: FetchContext,
  c: Candidate,
  base: string,
  floor: number,
  staging: string,
  limits: ExtractLimits,
  fastKeys?: () => Promise<FastKey[]>,
): Promise<StreamedPackage> {
  const { entry } = c;
  const url = joinUrl(base, entry.path);
  const name = packageFileName(entry);
  const pace = downloadPace({ base, name, size: entry.size, floor, configFile: ctx.configFile }, ctx.signal);
  try {
    // Opened first: a package the mirror lacks is `not-found-remote`, whatever its signature.
    const { body } = await openStream(url, pace.signal).catch((err) => {
      throw (!ctx.signal?.aborted && pace.failure()) || err;
    });
    try {
      return await unpackVerified(ctx, c, { url, body, pace }, staging, limits, fastKeys);
    } finally {
      body.destroy();
    }
  } finally {
    pace.done();
  }
}

async function unpackVerified(
  ctx: FetchContext,
  c: Candidate,
  from: { url: string; body: Readable; pace: Pace },
  staging: string,
  limits: ExtractLimits,
  fastKeys?: () => Promise<FastKey[]>,
): Promise<StreamedPackage> {
  const { entry } = c;
  const { url, body, pace } = from;
  const { signal } = pace;
  const name = packageFileName(entry);
  const sig = await fetchPackageSignature(url, name, c.repo, ctx.signal);
  // The hashes one pass feeds: the index's SHA-256, and whichever the signature names. A signature
  // of the plain shape by one of the repository's own keys is judged without OpenPGP.js
  // (sig-fast.ts: its load is ~10% of an install's CPU); anything else is asked of OpenPGP.js,
  // which names its hash once it has read the signature, before a byte of the package is read.
  const hashes = new Map<string, Hash>([['sha256', createHash('sha256')]]);
  let hashed!: (ok: boolean) => void;
  const complete = new Promise<boolean>((resolve) => (hashed = resolve));
  const fast = fastSignature(sig, (await fastKeys?.()) ?? [], ctx.now());
  let verdict: Promise<SignatureCheck> | undefined;
  if (fast) {
    if (!hashes.has(fast.hash)) hashes.set(fast.hash, createHash(fast.hash));
  } else {
    const asked = openpgpVerdict(ctx, sig, name, hashes, complete, false);
    verdict = asked.verdict;
    await Promise.race([asked.named, verdict]); // one refused before reading (untrusted key) ends it
  }

  const feeds = [...hashes.values()];
  let size = 0;
  let unpackError: unknown;
  let out: Omit<Extracted, 'archiveSha256' | 'archiveSize'> | undefined;
  let ended = false;
  // One pass downloads, hashes and unpacks: its progress is the download's; the verdict is said
  // once the pass is over (the phases in the order they end, not 'verifying', 'unpacking', then
  // the download bar going on).
  body.once('end', () => (ended = true));
  try {
    out = await extractStream(body, staging, limits, {
      signal,
      drainOnFailure: true,
      // A folder repository's reads go into buffers used again once gunzip has read them through.
      consumed: (chunk) => (body as Partial<PooledRead>).release?.(chunk),
      onChunk: (chunk) => {
        size += chunk.length;
        if (size > entry.size)
          throw new VerificationError(
            `${url} sent more than its declared ${entry.size} bytes (the signed index's size)`,
            'size-mismatch',
            'The mirror is broken or hostile; nothing was installed.',
          );
        for (const h of feeds) h.update(chunk);
        pace.got(size);
        ctx.progress({ phase: 'download', name: entry.name, bytes: size, total: entry.size });
      },
    }).catch((err) => {
      unpackError = err;
      return undefined;
    });
  } catch (err) {
    unpackError = err;
  }
  hashed(ended);
  if (ended) ctx.progress({ phase: 'verify', name: entry.name });
  if (!ended) {
    // Not read to the end (the mirror failed, fell behind the floor, sent too much): no verdict.
    throw (!ctx.signal?.aborted && pace.failure()) || unpackError;
  }
  // The index first, then the signature, then what unpacking found: for a tampered package the
  // first two are the better answer.
  if (size !== entry.size)
    throw new VerificationError(
      `${url}: got ${size} bytes, the signed index says ${entry.size}`,
      'size-mismatch',
      'Run `bpkg update` and try again; nothing was installed.',
    );
  const sha256 = hashes.get('sha256')!.copy().digest('hex');
  if (sha256 !== entry.sha256)
    throw new VerificationError(
      `${url}: SHA-256 ${sha256} differs from the signed index (${entry.sha256})`,
      'hash-mismatch',
      'The file was altered or the mirror is out of date; nothing was installed.',
    );
  // Not accepted outright by sig-fast: OpenPGP.js judges the same digests, with its reasons.
  const quick = fast?.verify(hashes.get(fast.hash)!.copy());
  const check = quick ?? (await (verdict ?? openpgpVerdict(ctx, sig, name, hashes, complete, true).verdict));
  if (unpackError !== undefined || !out) throw unpackError;
  return {
    out: { ...out, archiveSha256: sha256, archiveSize: size },
    signer: check.signer,
    signingKey: signingKeyOf(check),
    signature: sig,
  };
}

/**
 * OpenPGP.js's verdict on `sig` over the streamed bytes: it names the hash it needs (`named`
 * settles then), and gets the digest once the stream is `complete`. `frozen`: the stream is over,
 * no new hash can be fed.
 */
function openpgpVerdict(
  ctx: FetchContext,
  sig: Uint8Array,
  name: string,
  hashes: Map<string, Hash>,
  complete: Promise<boolean>,
  frozen: boolean,
): { named: Promise<void>; verdict: Promise<SignatureCheck> } {
  let asked!: () => void;
  const named = new Promise<void>((resolve) => (asked = resolve));
  const digest = async (hash: string, suffix: Uint8Array) => {
    if (!hashes.has(hash)) {
      if (frozen) throw new VerificationError(`${name}: its signature changed its hash`, 'bad-signature');
      hashes.set(hash, createHash(hash));
    }
    asked();
    if (!(await complete)) throw new VerificationError(`${name} was not read to its end`, 'bad-signature');
    return hashes.get(hash)!.copy().update(suffix).digest();
  };
  const verdict = ctx.trusted().then((trusted) => verifyDetached({ digest }, sig, trusted, name, ctx.now()));
  verdict.catch(() => {}); // awaited by the caller; an early refusal must not go unhandled meanwhile
  return { named, verdict };
}
