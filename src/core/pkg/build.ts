import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { satisfies } from 'semver';
import { BlueprintError, ConflictError, NotFoundError, StorageError, UsageError } from '../errors.js';
import { readKeptJson } from '../system/damaged-file.js';
import { trackTemp } from '../system/exit-cleanup.js';
import { ensureDir, writeFileAtomic } from '../system/fs.js';
import { runTool, ToolFailure } from '../system/tool-output.js';
import { readManifestBytes } from './archive.js';
import { judgeBuildOutput } from './build-output.js';
import { pruneByHashFolder } from './by-hash-prune.js';
import {
  type IndexEntry,
  type Manifest,
  packageFileName,
  parseJsonBytes,
  parseManifest,
  type RepoIndex,
  requirements,
} from './format.js';
import type { BuildHooks } from './hooks.js';
import { packageMtime, packReproducible } from './pack-reproducible.js';
import { otherSignersWarning } from './pool-signers.js';
import { signatureByHash } from './repo-trust.js';
import { type BuiltPackage, judgeBuilt, placeAll } from './republish.js';
import { rangeOf } from './resolve.js';
import { readPrivateKey, signFileDetached } from './signing.js';
import { sha256File } from './transport.js';
import { syncNoFollow } from './unpack-durable.js';

/** Signs with an armored private key file (OpenPGP.js) or a key in the GnuPG keyring. */
export type Signer = { keyFile: string; passphrase?: string } | { gpgKey: string; gnupgHome?: string };

const SIGNING_KEY_HINT =
  'Sign with the private key `blueprint repo keygen` wrote (signing-key.asc), not its public part (signing-key.pub.asc), or with --gpg-key ID.';

/** The private key in `file`, read as a signer does; what is wrong with it said for the admin. */
async function readSigningKey(file: string, passphrase?: string): ReturnType<typeof readPrivateKey> {
  const armored = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ENOENT'
      ? new NotFoundError(`Cannot read the signing key ${file}: no such file`, SIGNING_KEY_HINT)
      : new UsageError(`Cannot read the signing key ${file}: ${err.code ?? err.message}`, SIGNING_KEY_HINT);
  });
  return readPrivateKey(armored, passphrase).catch((err: Error) => {
    if (err instanceof BlueprintError) throw err; // locked by a passphrase: its own hint
    throw /not of type private key/.test(err.message)
      ? new UsageError(`${file} is not a private key`, SIGNING_KEY_HINT)
      : new UsageError(`${file} is not an OpenPGP private key: ${err.message}`, SIGNING_KEY_HINT);
  });
}

/** A build's sources (each with its manifest.json) and its signing key, judged before it writes. */
async function checkBuildInputs(sources: string[], signer: Signer): Promise<void> {
  for (const src of sources) {
    if (!(await stat(src).catch(() => undefined)))
      throw new NotFoundError(
        `${src} does not exist`,
        'Give package source folders (manifest.json and payload/) or .raucb bundles.',
      );
    if (!(await stat(path.join(src, 'manifest.json')).catch(() => undefined)))
      throw new NotFoundError(
        `${src} has no manifest.json`,
        'A package source folder needs manifest.json and payload/.',
      );
  }
  if ('keyFile' in signer) await readSigningKey(signer.keyFile, signer.passphrase);
  packageMtime(); // a SOURCE_DATE_EPOCH that is not a number, said before anything is built
}

export async function signFile(file: string, signer: Signer): Promise<void> {
  if ('gpgKey' in signer) {
    const args = [
      '--batch',
      '--yes',
      '--local-user',
      signer.gpgKey,
      '--detach-sign',
      '--armor',
      '--output',
      `${file}.asc`,
      file,
    ];
    // The tail of gpg's stderr, its last lines quoted (system/tool-output.ts).
    await runTool('gpg', args, {
      env: { ...process.env, ...(signer.gnupgHome ? { GNUPGHOME: signer.gnupgHome } : {}) },
    }).catch((err) => {
      throw new BlueprintError(
        `gpg could not sign ${file}: ${err instanceof ToolFailure ? err.quoted : err}`,
        'sign-failed',
        'Check the key id and that gpg has its secret key.',
      );
    });
    return;
  }
  const key = await readSigningKey(signer.keyFile, signer.passphrase);
  await writeFileAtomic(`${file}.asc`, await signFileDetached(file, key));
}

/**
 * Turns a package source folder (`manifest.json` + optional `payload/`) into a `.bpkg`: a gzip tar
 * holding manifest.json first, then payload/: the same bytes for the same source (pack-reproducible.ts),
 * whoever built it, whenever.
 */
export async function buildPackage(
  sourceDir: string,
  outDir: string,
  opts: { hooks?: BuildHooks; info?: (l: string) => void; arch?: Manifest['arch'] } = {},
): Promise<{ file: string; manifest: Manifest }> {
  const manifestPath = path.join(sourceDir, 'manifest.json');
  const raw = await readFile(manifestPath, 'utf8').catch(() => {
    throw new NotFoundError(
      `${sourceDir} has no manifest.json`,
      'A package source folder needs manifest.json and payload/.',
    );
  });
  let manifest = parseManifest(parseJsonBytes(raw, manifestPath, 'bad-manifest'), manifestPath);
  // One source, one package per architecture (`repo build --arch`): the build hooks see the target.
  if (opts.arch) manifest = { ...manifest, arch: opts.arch };
  const work = await mkdtemp(path.join(os.tmpdir(), 'bpkg-build-'));
  // Removed by the front end if the process is ended part-way (SIGTERM, Ctrl-C): no finally runs then.
  const untrackWork = trackTemp(work);
  let untrackTmp = () => {};
  let tmpFile: string | undefined;
  try {
    const payload = path.join(work, 'payload');
    await ensureDir(payload);
    const srcPayload = path.join(sourceDir, 'payload');
    if (
      await stat(srcPayload).then(
        () => true,
        () => false,
      )
    )
      await cp(srcPayload, payload, { recursive: true, verbatimSymlinks: true });
    if (opts.hooks?.prepareSource)
      manifest = await opts.hooks.prepareSource({
        dir: sourceDir,
        manifest,
        payloadDir: payload,
        info: opts.info ?? (() => {}),
      });
    await writeFileAtomic(path.join(work, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await ensureDir(outDir);
    const file = path.join(outDir, packageFileName(manifest));
    untrackTmp = trackTemp(`${file}.tmp`);
    tmpFile = `${file}.tmp`;
    await packReproducible(work, `${file}.tmp`);
    await syncNoFollow(`${file}.tmp`, { folder: false });
    await rename(`${file}.tmp`, file);
    return { file, manifest };
  } catch (err) {
    // A full disk while packing: the partial archive goes too (gone already when it was renamed).
    if (tmpFile) await rm(tmpFile, { force: true });
    throw err;
  } finally {
    untrackTmp();
    await rm(work, { recursive: true, force: true });
    untrackWork();
  }
}

async function listPool(poolDir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.name.endsWith('.bpkg')) out.push(full);
    }
  };
  await walk(poolDir);
  return out.sort();
}

export interface RepoBuildOptions {
  /** Package source folders to (re)build into the pool. */
  sources: string[];
  repoDir: string;
  /**
   * The repository name the index records. Left out: the name the folder's index has, so a rebuild
   * never renames it (boxes refuse an index that names another repository); for a first build
   * `firstName`, else the folder's name.
   */
  name?: string;
  firstName?: string;
  signer: Signer;
  expiresInDays?: number;
  hooks?: BuildHooks;
  info?: (line: string) => void;
  /** Said when `name` renames the repository its index had. */
  warn?: (line: string) => void;
  now?: Date;
  /** Build each source once per architecture, overriding its manifest's `arch`; left out: as written. */
  arches?: Manifest['arch'][];
  /** Replace a published version built with other contents (republishRefusal), with a warning. */
  forceReplace?: boolean;
}

/**
 * Builds a static repository: packages under pool/NAME/, each with its own signature, and a signed
 * index.json listing every package in the pool. The index version is one more than the last.
 */
export async function buildRepository(options: RepoBuildOptions): Promise<RepoIndex> {
  try {
    return await buildRepositoryOnce(options);
  } catch (err) {
    throw fullDisk(err, options.repoDir) ?? err;
  }
}

/**
 * A full disk as a publisher reads it: the package manager's hint (`bpkg clean`) means nothing
 * here, and what boxes read is still the index before, which is written last.
 */
function fullDisk(err: unknown, repoDir: string): StorageError | undefined {
  const errno = (err as NodeJS.ErrnoException)?.code;
  const storage = err instanceof StorageError && err.code === 'disk-full';
  if (!storage && errno !== 'ENOSPC' && errno !== 'EDQUOT') return undefined;
  return new StorageError(
    storage ? err.message : `No space left on device while building the repository ${repoDir}`,
    'disk-full',
    `Free some space on the disk of ${repoDir} (and of the temporary folder, TMPDIR), then run the command again; ${
      existsSync(path.join(repoDir, 'index.json'))
        ? 'its index.json is still the one before (the index is written last)'
        : 'there is no index.json yet, so boxes see no repository there'
    }.`,
    { cause: err },
  );
}

async function buildRepositoryOnce(options: RepoBuildOptions): Promise<RepoIndex> {
  // Every source and the key before anything is written: a bad one met half-way left the
  // repository folder with unsigned packages and no index.
  await checkBuildInputs(options.sources, options.signer);
  // Judged first, then written under its real path (build-output.ts): no link is followed there.
  const opts = { ...options, repoDir: await judgeBuildOutput(options.repoDir) };
  const info = opts.info ?? (() => {});
  const pool = path.join(opts.repoDir, 'pool');
  // The packages on their way in (each moved out when built): not left behind by an ended build.
  const untrackIncoming = trackTemp(path.join(pool, '.incoming'));
  // Its version is the next one's baseline: dropped, the next build would be version 1, which every
  // box that has a later one refuses as a rollback. Read once, before anything is built: its
  // packages' SHA-256 are what boxes and mirrors have (judgeBuilt).
  const previous = await readKeptJson<RepoIndex>(
    path.join(opts.repoDir, 'index.json'),
    'It is the last index built here. Restore it from a backup or from where the repository is served, and build again; do not delete it: the next build would be version 1, which boxes that have a later version refuse.',
  );
  const published = new Map((previous?.packages ?? []).map((p) => [p.path, p.sha256]));
  const builds = opts.sources.flatMap((src) => (opts.arches ?? [undefined]).map((arch) => ({ src, arch })));
  const built: BuiltPackage[] = [];
  for (const { src, arch } of builds) {
    // Absolute: a build step (a module's build.sh) runs inside the source folder.
    const { manifest } = await buildPackage(path.resolve(src), path.join(pool, '.incoming'), {
      ...(opts.hooks ? { hooks: opts.hooks } : {}),
      ...(arch ? { arch } : {}),
      info,
    });
    built.push(await judgeBuilt(pool, manifest, published, opts.repoDir));
  }
  const [forceReplace, sign] = [opts.forceReplace === true, (f: string) => signFile(f, opts.signer)];
  const signedNow = await placeAll(built, { pool, forceReplace, info, warn: opts.warn, sign });
  await rm(path.join(pool, '.incoming'), { recursive: true, force: true });
  untrackIncoming();
  const packages: IndexEntry[] = [];
  const poolFiles = await listPool(pool);
  const others = await otherSignersWarning(poolFiles, signedNow, opts.signer, opts.repoDir);
  if (others) opts.warn?.(others);
  for (const file of poolFiles) {
    const m = parseManifest(parseJsonBytes(await readManifestBytes(file), file, 'bad-manifest'), file);
    packages.push({
      name: m.name,
      version: m.version,
      arch: m.arch,
      summary: m.summary,
      depends: requirements(m),
      size: (await stat(file)).size,
      sha256: await sha256File(file),
      path: path.relative(opts.repoDir, file).split(path.sep).join('/'),
    });
  }
  checkDependencies(packages);
  const now = opts.now ?? new Date();
  const name = opts.name ?? previous?.repository ?? opts.firstName ?? path.basename(opts.repoDir);
  if (previous?.repository !== undefined && previous.repository !== name)
    opts.warn?.(
      `repository renamed from ${previous.repository} to ${name}: boxes that added it refuse its next update (the index names another repository) until they remove it and add it again; build with --name ${previous.repository} to keep its name.`,
    );
  const index: RepoIndex = {
    format: 1,
    repository: name,
    version: (previous?.version ?? 0) + 1,
    generated: now.toISOString(),
    expires: new Date(now.getTime() + (opts.expiresInDays ?? 30) * 86_400_000).toISOString(),
    packages,
  };
  await placeSigned(opts.repoDir, 'index.json', `${JSON.stringify(index, null, 2)}\n`, opts.signer);
  await pruneByHashFolder(opts.repoDir);
  info(
    `index.json version ${index.version}: ${packages.length} ${packages.length === 1 ? 'package' : 'packages'}, expires ${index.expires}`,
  );
  return index;
}

/**
 * A dependency on a package of this repository must be satisfiable by a version in it: a box could
 * never install the dependent. One on a package the repository does not have is left to the
 * repositories the box also uses.
 */
function checkDependencies(packages: IndexEntry[]): void {
  for (const p of packages)
    for (const dep of p.depends) {
      const { name, range } = rangeOf(dep);
      const versions = packages.filter((q) => q.name === name).map((q) => q.version);
      if (versions.length && !versions.some((v) => satisfies(v, range, { includePrerelease: true })))
        throw new ConflictError(
          `${p.name} ${p.version} needs ${dep}, and this repository has only ${name} ${versions.join(', ')}`,
          'dependency-conflict',
          `Build a version of ${name} that fits, or fix the depends of ${p.name}; nothing was published.`,
        );
    }
}

/** Writes keys/rotation.json (+ .asc, signed by the current key) announcing the next key. */
export async function announceKeyRotation(
  repoDir: string,
  newPublicKey: string,
  fingerprint: string,
  signer: Signer,
): Promise<void> {
  const real = await judgeBuildOutput(repoDir);
  await placeSigned(
    real,
    'keys/rotation.json',
    `${JSON.stringify({ format: 1, fingerprint, newKey: newPublicKey, announced: new Date().toISOString() }, null, 2)}\n`,
    signer,
  );
  await pruneByHashFolder(real);
}

/**
 * A signed file of the repository (the index, a key rotation notice) put in place as a bucket's
 * publish puts it (publish-remote.ts): its signature first under the file's SHA-256
 * (signatureByHash), then `REL.asc`, then `REL`. A folder or HTTP repository is this folder copied
 * to where boxes read it (rsync and the like: one file at a time, by name, so by-hash/ before
 * index.json), and a reader that gets the new file with the old `.asc` (a copy stopped or still
 * going between the two, a read across it) finds the file's own signature by its hash
 * (RepoTrust.verifyServed, the same for every transport); one that gets the old file with the new
 * `.asc` finds the old file's, kept from its build (test/security/repo-build-by-hash).
 */
async function placeSigned(repoDir: string, rel: string, text: string, signer: Signer): Promise<void> {
  const file = path.join(repoDir, rel);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.new`);
  await ensureDir(path.dirname(file));
  await keepOldByHash(repoDir, file);
  const untrack = [trackTemp(tmp), trackTemp(`${tmp}.asc`)];
  try {
    await writeFileAtomic(tmp, text);
    await signFile(tmp, signer);
    const byHash = path.join(repoDir, signatureByHash(createHash('sha256').update(text).digest('hex')));
    await ensureDir(path.dirname(byHash));
    await writeFileAtomic(byHash, await readFile(`${tmp}.asc`));
    await rename(`${tmp}.asc`, `${file}.asc`);
    await rename(tmp, file);
  } catch (err) {
    // Never left in the folder that is copied to where boxes read it (a full disk, say).
    await Promise.all([rm(tmp, { force: true }), rm(`${tmp}.asc`, { force: true })]);
    throw err;
  } finally {
    for (const u of untrack) u();
  }
}

/**
 * The file in place now and its `.asc`, when its signature by hash is not there (a repository
 * built before fa433b1, whose builds wrote none): its `.asc` stored under its hash, so a reader of
 * the copy that gets this (old) file with the new `.asc` still finds the old file's signature
 * (readers verify it, so an `.asc` that was not the file's own only fails as it would have).
 * Without it, that first copy after the change was refused by every box until it finished.
 */
async function keepOldByHash(repoDir: string, file: string): Promise<void> {
  const [old, sig] = await Promise.all([
    readFile(file).catch(() => undefined),
    readFile(`${file}.asc`).catch(() => undefined),
  ]);
  if (!old || !sig) return;
  const byHash = path.join(repoDir, signatureByHash(createHash('sha256').update(old).digest('hex')));
  if (
    await stat(byHash).then(
      () => true,
      () => false,
    )
  )
    return;
  await ensureDir(path.dirname(byHash));
  await writeFileAtomic(byHash, sig);
}
