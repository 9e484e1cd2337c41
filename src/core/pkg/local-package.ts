/**
 * Package files given on the command line (`bpkg install ./x.bpkg`, a model import's package): an
 * untrusted file with its `.asc` beside it, read once into a private copy in the cache (fetch.ts
 * has the repository's packages).
 */
import { randomUUID } from 'node:crypto';
import { type FileHandle, opendir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { BlueprintError, ExitCode, NotFoundError, storageErrorFrom, VerificationError } from '../errors.js';
import {
  folderGiven,
  freeSpace,
  notEnoughSpace,
  openUntrusted,
  SPACE_RESERVE,
} from '../system/copy-hashed.js';
import { trackTemp } from '../system/exit-cleanup.js';
import { ensureDir } from '../system/fs.js';
import { changedWhileReading, readBoundedFile } from '../system/read-bounded.js';
import { shellWord } from '../system/shell-word.js';
import { bundledRepository } from './bundle-folder.js';
import type { FetchContext } from './fetch.js';
import { type IndexEntry, parseJsonBytes, parseManifest, requirements } from './format.js';
import { MAX_PACKAGE_BYTES, MAX_PACKAGE_GIB } from './limits.js';
import { LOCAL_ORIGIN } from './local-key.js';
import { readManifestBytes } from './manifest-read.js';
import { pruneDeadCopies, writePrivateCopy } from './private-copy.js';
import type { Candidate } from './resolve.js';
import { type PublicKey, verifyDetached } from './signature.js';
import { signingKeyOf } from './signer-revoked.js';

/** `readLocalPackage`'s private copies: `.local-PID-UUID.bpkg`, removed by `discardLocalCopy`. */
const LOCAL_COPY = /^\.local-([0-9]+)-[0-9a-f-]{36}\.bpkg$/;

/**
 * The copies that exist now, registered with exit-cleanup: a second Ctrl-C or SIGTERM ends the
 * process without unwinding to `discardLocalCopy`, and a copy is a package's size (a model's).
 */
const trackedCopies = new Map<string, () => void>();

/** Removes a private copy and its registration. */
async function removeCopy(copy: string): Promise<void> {
  await rm(copy, { force: true });
  trackedCopies.get(copy)?.();
  trackedCopies.delete(copy);
}

/** What a local package's path that is no package file is told (openUntrusted, folderGiven). */
const PACKAGE_FILE = {
  missing: 'Check the path of the package file.',
  notAFile: 'Install a package from a .bpkg file, not a device, pipe or folder.',
  ext: '.bpkg',
  example: (file: string) => `bpkg install ${file}`,
};

/**
 * Reads an untrusted file exactly once, into a fresh file in `dir` (created with O_EXCL and
 * O_NOFOLLOW, so nothing planted there is written through), hashing the bytes on the way. A hostile
 * USB stick or NFS server can serve different bytes on every read, so everything that follows
 * (signature, manifest, SHA-256, unpacking) must read this copy, never the original.
 */
async function copyOnce(
  src: string,
  dir: string,
  signal?: AbortSignal,
  landed?: (bytes: number) => void,
): Promise<{ copy: string; size: number; sha256: string }> {
  const { input, size: declared } = await openFitting(src, dir, signal);
  try {
    try {
      await ensureDir(dir);
    } catch (err) {
      throw signal?.aborted ? (signal.reason ?? err) : storageErrorFrom(err, `copying ${src}`);
    }
    const copy = path.join(dir, `.local-${process.pid}-${randomUUID()}.bpkg`);
    trackedCopies.set(copy, trackTemp(copy));
    // writePrivateCopy removes its file when it fails; the registration goes with it.
    const { size, sha256 } = await writePrivateCopy(
      input,
      copy,
      declared,
      src,
      READ_AGAIN,
      signal,
      landed,
    ).catch(async (err) => {
      await removeCopy(copy);
      throw err;
    });
    return { copy, size, sha256 };
  } finally {
    await input.close();
  }
}

/** The hint of a package file that changed while it was read. */
export const READ_AGAIN = 'Copy the package to a local disk and try again; nothing was installed.';

/**
 * The package file opened for its one read (openUntrusted), refused before a byte is read when it
 * could not be installed: bigger than a package can be, or than the cache `dir` (where the install
 * copies it) can take. `size`: what the file said it has.
 */
export async function openFitting(
  src: string,
  dir: string,
  signal?: AbortSignal,
): Promise<{ input: FileHandle; size: number }> {
  const opened = await openUntrusted(src, PACKAGE_FILE);
  try {
    await refuseUnfitting(src, opened.size, dir);
    return opened;
  } catch (err) {
    await opened.input.close();
    throw signal?.aborted ? (signal.reason ?? err) : storageErrorFrom(err, `copying ${src}`);
  }
}

/**
 * The most a local package file may be: what install ever unpacks from one package
 * (MAX_PACKAGE_BYTES, the archive limits in install.ts, as a model import's bound) and room for
 * tar headers and gzip's framing. A repository's package is held to the size its signed index states; a local file has
 * no such statement, so it is held to this, and to the free space of the cache it is copied into.
 */
export const MAX_LOCAL_PACKAGE_BYTES = MAX_PACKAGE_BYTES + 64 * 1024 ** 2;

/**
 * Refuses, before a byte is copied, a file bigger (by its descriptor's fstat; `copyHashed` holds
 * the copy to that) than a package can be or than the cache's file system can take and keep
 * SPACE_RESERVE free: a 1 TiB sparse file on a stick must not fill the disk the box's services use.
 */
async function refuseUnfitting(src: string, size: number, dir: string): Promise<void> {
  if (size > MAX_LOCAL_PACKAGE_BYTES)
    throw new VerificationError(
      `${src} is ${(size / 1024 ** 3).toFixed(1)} GiB; a package is at most ${MAX_PACKAGE_GIB}`,
      'too-big',
      'Check that this is the package file you meant (a package that large could not be unpacked); nothing was installed.',
    );
  const free = await freeSpace(dir);
  if (size + SPACE_RESERVE > free.bytes)
    throw notEnoughSpace(
      `to copy ${src} into the package cache`,
      dir,
      size + SPACE_RESERVE,
      free.bytes,
      'Free some space there (`bpkg clean` deletes downloaded package archives; `bpkg remove NAME` a package no longer used) and run the command again; nothing was installed.',
    );
}

/** The most a detached signature may take: the same bound as a signature fetched from a repository. */
export const MAX_SIGNATURE_BYTES = 64 * 1024;

/**
 * A `.asc` beside a local package is untrusted too: a regular file of at most MAX_SIGNATURE_BYTES,
 * read through one descriptor (a pipe or /dev/zero must not hang or fill memory).
 */
async function readSignatureFile(abs: string, shown: string): Promise<Buffer> {
  // The path the user gave (beside the package they named): a link at it is followed.
  const r = await readBoundedFile(abs, MAX_SIGNATURE_BYTES, { followLink: true });
  if (r.ok) return r.bytes;
  if (r.why === 'open')
    throw new VerificationError(
      `${shown.replace(/\.asc$/, '')} has no signature ${shown} beside it`,
      'no-signature',
      'Copy the .asc file with the package.',
    );
  if (r.why === 'grew')
    throw changedWhileReading(shown, 'Copy the .asc again and run the command again; nothing was installed.');
  throw new VerificationError(
    `${shown} is not a signature (${r.why === 'not-a-file' ? 'not a regular file' : `${r.stat.size} bytes`})`,
    'bad-signature',
    `A detached signature is a regular file of at most ${MAX_SIGNATURE_BYTES / 1024} KiB; copy the publisher's .asc again.`,
  );
}

/**
 * A bare name asked for that is no package offered or installed, and is a folder here holding what
 * install takes (`bpkg install pkgs`, meaning the folder of .bpkg files, or a bundle): that folder's
 * error (bad usage), else undefined. A folder holding neither (a module's source, a checkout named
 * like the package) is not what the name meant: the name stays a package name not found.
 */
export async function folderNamed(
  name: string,
  trusted: () => Promise<PublicKey[]>,
): Promise<BlueprintError | undefined> {
  const st = await stat(name).catch(() => undefined);
  if (!st?.isDirectory()) return undefined;
  return (
    (await bundleGiven(name, trusted)) ??
    ((await holdsPackageFile(name)) ? folderGiven(name, PACKAGE_FILE) : undefined)
  );
}

/** Whether `dir` holds a .bpkg file among its first entries (as folderGiven looks). */
async function holdsPackageFile(dir: string): Promise<boolean> {
  let seen = 0;
  for await (const e of await opendir(dir).catch(() => [])) {
    if (e.name.endsWith('.bpkg')) return true;
    if (++seen >= 10_000) return false;
  }
  return false;
}

/** A folder given for a package file: a bundle's (bundleGiven), else the .bpkg file to pass. */
async function folderError(dir: string, trusted: () => Promise<PublicKey[]>): Promise<BlueprintError> {
  return (await bundleGiven(dir, trusted)) ?? (await folderGiven(dir, PACKAGE_FILE));
}

/**
 * `bpkg install /media/stick`: the folder `bpkg bundle` wrote (OUT, whose REPO folders hold a
 * signed index), or one of its REPO folders. Not a package file, and its packages are not taken
 * one by one: it is read as a repository. The error says so, with the steps: the key's only when
 * this box does not trust it yet (its fingerprint to check with the publisher, never taken from
 * the stick on trust). Undefined for any other folder.
 */
async function bundleGiven(
  dir: string,
  trusted: () => Promise<PublicKey[]>,
): Promise<BlueprintError | undefined> {
  const repoDir = await bundledRepository(dir);
  if (!repoDir) return undefined;
  const shownRepo = repoDir === dir ? dir.replace(/\/+$/, '') || dir : repoDir;
  const keys = await stickKeyFiles(path.join(repoDir, 'keys'));
  const keyFiles = keys === 'too-many' ? [] : keys;
  const fpr = keyFiles.length === 1 ? keyFiles[0]!.slice(0, 40).toUpperCase() : undefined;
  const known = fpr
    ? (await trusted().catch(() => [])).some((k) => k.getFingerprint().toUpperCase() === fpr)
    : false;
  const keyStep = known
    ? ''
    : fpr
      ? `check the fingerprint ${fpr} with the publisher, then \`bpkg key add ${shellWord(path.join(repoDir, 'keys', keyFiles[0]!))} --fingerprint ${fpr}\`, `
      : `trust its publisher's key (\`bpkg key add FILE --fingerprint FPR\`${
          keys === 'too-many'
            ? `; ${path.join(shownRepo, 'keys')} holds more than ${KEYS_LOOKED_AT.toLocaleString('en')} entries, not looked through`
            : ''
        }), then `;
  return new BlueprintError(
    repoDir === dir
      ? `${dir} is a package bundle (as \`bpkg bundle\` writes it), not a package file`
      : `${dir} holds a package bundle (${repoDir}, as \`bpkg bundle\` writes it), not a package file`,
    'not-a-file',
    `Read it as a repository: ${keyStep}\`bpkg repo add usb ${shellWord(shownRepo)} --key ${fpr ?? 'FPR'}\`, \`bpkg update\` and \`bpkg install NAME\`.`,
    ExitCode.usage,
  );
}

/** Entries of a stick's keys/ folder looked at, at most: a hostile stick may hold millions. */
const KEYS_LOOKED_AT = 10_000;

/**
 * The key files (`FPR.pub.asc`) in a bundle's keys/ folder, sorted; none when it cannot be read.
 * Listed through an iterator, never held whole, and 'too-many' past KEYS_LOOKED_AT entries: a key
 * picked from part of the folder could be one of several.
 */
async function stickKeyFiles(dir: string): Promise<string[] | 'too-many'> {
  const found: string[] = [];
  let seen = 0;
  try {
    for await (const d of await opendir(dir)) {
      if (++seen > KEYS_LOOKED_AT) return 'too-many';
      if (/^[0-9a-fA-F]{40}\.pub\.asc$/.test(d.name)) found.push(d.name);
    }
  } catch {
    return [];
  }
  return found.sort();
}

/**
 * A local `.bpkg` with its `.asc` beside it. Its bytes are read once, into a private copy in the
 * cache, and the signature, manifest, size and SHA-256 all come from that copy, which is also what
 * gets unpacked (`file`). The caller removes it with `discardLocalCopy` when done. A plan that
 * unpacks nothing reads it once without a copy (local-read-once.ts).
 */
export async function readLocalPackage(
  ctx: FetchContext,
  file: string,
): Promise<Candidate & { file: string; signer: string; signingKey: string; signature: Uint8Array }> {
  const { abs, sig } = await localSignature(ctx, file);
  const written = ctx.written;
  const landed = written && ((bytes: number) => written({ step: 'copy', file: abs, bytes }));
  const { copy, size, sha256 } = await copyOnce(abs, ctx.cacheDir, ctx.signal, landed);
  try {
    const keys = await localKeys(ctx);
    const check = await verifyDetached({ file: copy }, sig, keys.all, path.basename(file), ctx.now());
    return {
      ...localCandidate(abs, await readManifestBytes(copy), size, sha256, keys, check.signer),
      signingKey: signingKeyOf(check),
      signature: sig,
      file: copy,
    };
  } catch (err) {
    await removeCopy(copy);
    throw err;
  }
}

/**
 * What every read of a package file `file` begins with: its absolute path, and the `.asc` beside
 * it. A package that is not there is not found, before its signature is missed (a mistyped path or
 * an unmounted stick is not a verification refusal); a folder is said before its missing `.asc`.
 */
export async function localSignature(ctx: FetchContext, file: string): Promise<{ abs: string; sig: Buffer }> {
  const abs = path.resolve(file);
  // Only a look at the name; openUntrusted judges what it opens.
  const st = await stat(abs).catch((err) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
      throw new NotFoundError(
        `${file} not found`,
        'Check the path of the package file (is the stick mounted?).',
      );
  });
  // A folder (`./pkgs/`, the stick's): the file in it to pass.
  if (st?.isDirectory()) throw await folderError(file, ctx.trusted);
  return { abs, sig: await readSignatureFile(`${abs}.asc`, `${file}.asc`) };
}

/** The keys a package file may be signed by: the trusted ones, and the box's own (`local`). */
export async function localKeys(ctx: FetchContext): Promise<{ all: PublicKey[]; local?: PublicKey }> {
  const local = await ctx.localKey?.();
  return { all: [...(await ctx.trusted()), ...(local ? [local] : [])], ...(local ? { local } : {}) };
}

/** A package file as a candidate of the plan, from its manifest and the size and SHA-256 read. */
export function localCandidate(
  abs: string,
  manifestBytes: Buffer,
  size: number,
  sha256: string,
  keys: { local?: PublicKey },
  signer: string,
): Candidate & { signer: string } {
  const manifest = parseManifest(parseJsonBytes(manifestBytes, 'manifest.json', 'bad-manifest'));
  const entry: IndexEntry = {
    name: manifest.name,
    version: manifest.version,
    arch: manifest.arch,
    summary: manifest.summary,
    depends: requirements(manifest),
    size,
    sha256,
    path: path.basename(abs),
  };
  // Signed on this box (blueprint model import): origin `local`, never upgraded from anywhere.
  const repo = keys.local && signer === keys.local.getFingerprint() ? LOCAL_ORIGIN : 'file';
  return { entry, repo, signer };
}

/** Removes a private copy made by `readLocalPackage` (and nothing else). */
export async function discardLocalCopy(ctx: FetchContext, file: string): Promise<void> {
  if (path.dirname(file) === ctx.cacheDir && LOCAL_COPY.test(path.basename(file))) await removeCopy(file);
}

/**
 * Removes private copies left by processes that died before discarding them (SIGKILL, power cut),
 * and by an earlier process of this one's pid: this process's own are those it still tracks (by
 * name: another context may spell the cache's path otherwise).
 */
export async function pruneLocalCopies(ctx: FetchContext): Promise<void> {
  await pruneDeadCopies(ctx.cacheDir, LOCAL_COPY, (name) =>
    [...trackedCopies.keys()].some((copy) => path.basename(copy) === name),
  );
}
