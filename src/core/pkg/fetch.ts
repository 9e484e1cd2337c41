import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotFoundError, VerificationError } from '../errors.js';
import { ensureDir, exists } from '../system/fs.js';
import { readManifestBytes } from './archive.js';
import { type IndexEntry, packageFileName, parseJsonBytes, parseManifest } from './format.js';
import type { ProgressEvent } from './manager.js';
import type { RepoState } from './repos.js';
import type { Candidate } from './resolve.js';
import { type PublicKey, verifyDetached } from './signature.js';
import { download, fetchBytes, joinUrl, sha256File } from './transport.js';

/** What fetching and checking packages needs from the package manager. */
export interface FetchContext {
  cacheDir: string;
  trusted: () => Promise<PublicKey[]>;
  now: () => Date;
  progress: (e: ProgressEvent) => void;
  signal?: AbortSignal;
}

/** A local `.bpkg` with its `.asc` beside it: verified before anything else is read. */
export async function readLocalPackage(
  ctx: FetchContext,
  file: string,
): Promise<Candidate & { file: string; signer: string }> {
  const abs = path.resolve(file);
  const sig = await readFile(`${abs}.asc`).catch(() => {
    throw new VerificationError(
      `${file} has no signature ${file}.asc beside it`,
      'no-signature',
      'Copy the .asc file with the package.',
    );
  });
  const check = await verifyDetached({ file: abs }, sig, await ctx.trusted(), path.basename(file), ctx.now());
  const manifest = parseManifest(
    parseJsonBytes(await readManifestBytes(abs), 'manifest.json', 'bad-manifest'),
  );
  const { size } = await stat(abs);
  const entry: IndexEntry = {
    name: manifest.name,
    version: manifest.version,
    arch: manifest.arch,
    summary: manifest.summary,
    depends: manifest.depends,
    size,
    sha256: await sha256File(abs),
    path: path.basename(abs),
  };
  return { entry, repo: 'file', file: abs, signer: check.signer };
}

/**
 * Makes a package available locally. Packages in a local folder repository are read in place:
 * their size and SHA-256 are checked against the signed index while they are unpacked (before
 * commit), which saves copying them into the cache.
 */
export async function fetchPackage(ctx: FetchContext, c: Candidate, state: RepoState): Promise<string> {
  const url = joinUrl(state.url, c.entry.path);
  if (url.startsWith('file://')) {
    ctx.progress({ phase: 'download', name: c.entry.name, bytes: c.entry.size, total: c.entry.size });
    return fileURLToPath(url);
  }
  await ensureDir(ctx.cacheDir);
  const dest = path.join(ctx.cacheDir, packageFileName(c.entry));
  const cached = (await exists(dest)) && (await sha256File(dest)) === c.entry.sha256;
  if (!cached)
    await download(url, dest, c.entry, {
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      onProgress: (bytes, total) =>
        ctx.progress({ phase: 'download', name: c.entry.name, bytes, ...(total ? { total } : {}) }),
    });
  return dest;
}

/**
 * Checks a fetched package's own detached signature; resolves with the signer's fingerprint.
 * A downloaded copy that fails is deleted from the cache.
 */
export async function checkPackageSignature(
  ctx: FetchContext,
  c: Candidate,
  state: RepoState,
  file: string,
): Promise<string> {
  const name = packageFileName(c.entry);
  const url = joinUrl(state.url, c.entry.path);
  ctx.progress({ phase: 'verify', name: c.entry.name });
  try {
    const sig = await fetchBytes(`${url}.asc`, 64 * 1024, ctx.signal).catch((err) => {
      throw err instanceof NotFoundError
        ? new VerificationError(
            `${name} has no signature in repository ${c.repo}`,
            'no-signature',
            'Unsigned packages are never installed.',
          )
        : err;
    });
    return (await verifyDetached({ file }, sig, await ctx.trusted(), name, ctx.now())).signer;
  } catch (err) {
    if (!url.startsWith('file://')) await rm(file, { force: true });
    throw err;
  }
}
