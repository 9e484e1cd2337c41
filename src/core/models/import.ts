import { createHash, randomUUID } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { create as createTar } from 'tar';
import { storageErrorFrom, UsageError, VerificationError } from '../errors.js';
import { packageFileName } from '../pkg/format.js';
import { MAX_PACKAGE_BYTES, MAX_PACKAGE_GIB } from '../pkg/limits.js';
import type { LocalKey } from '../pkg/local-key.js';
import {
  copyHashed,
  freeSpace,
  notEnoughSpace,
  openUntrusted,
  SPACE_RESERVE,
} from '../system/copy-hashed.js';
import { trackTemp } from '../system/exit-cleanup.js';
import { ensureDir } from '../system/fs.js';
import { notYetThere, removeWhileEmpty } from '../system/made-folders.js';
import type { Layout } from '../system/paths.js';
import { alive } from '../system/process-alive.js';
import { readGgufInfo } from './gguf.js';
import { endRoom, holdRoom, reserveRoom, roomSteps, stillNeeded, uploadRoom } from './import-room.js';
import { MODEL_NAME, modelManifest, plainLine } from './manifest.js';
import { promisedIn } from './upload-room.js';

/**
 * `blueprint model import FILE.gguf --name NAME`: a GGUF handed over on a USB stick becomes a
 * `model-NAME` package (the GGUF, its chat template, every file's SHA-256 in the manifest),
 * signed by the box's own key (local-key.ts), ready for the package manager to install like any
 * other (signature, hashes, then at every llm start the hashes again).
 *
 * The file is untrusted and may change under us (a hostile stick serves different bytes on each
 * read): it is read exactly once, into a private copy, hashed on the way; everything after reads
 * the copy. All work happens in one private folder under the package cache, removed at the end
 * whatever happens (a folder left by a killed import is removed by the next one), so a failure —
 * not a GGUF, disk full, Ctrl-C — leaves nothing half-done.
 */

export type ImportProgress =
  | { phase: 'copy' | 'package'; bytes: number; total: number }
  | { phase: 'sign' | 'install' };

export interface ImportSource {
  file: string;
  name: string;
  license?: string;
  version?: string;
  onProgress?: (e: ImportProgress) => void;
  signal?: AbortSignal;
  /**
   * The file as its refusals name it, where that is not `file` (the dashboard's upload: the name of
   * the browser's file, not the path of the upload on the box). Untrusted text: escaped where shown.
   */
  shownAs?: string;
}

export interface BuiltModelPackage {
  /** The signed .bpkg (its .asc beside it), inside `work`. */
  file: string;
  manifest: Record<string, unknown>;
  /** The private folder holding it: the caller removes it (`discardImport`) after the install. */
  work: string;
  /** The folders above `work` this import made (deepest first): `discardImport` removes them on a failure. */
  made: string[];
  ggufSha256: string;
  ggufBytes: number;
}

const WORK_DIR = /^([0-9]+)-[0-9a-f-]{36}$/;

export function checkImportName(name: string, license?: string, version?: string): void {
  // The package's name given for the model's (model list's PACKAGE column, bpkg's name for it).
  if (name.startsWith('model-') && MODEL_NAME.test(name.slice('model-'.length)))
    throw new UsageError(
      `--name ${name} would make the package model-${name}`,
      `Give the model's own name: --name ${name.slice('model-'.length)} (the package is model-NAME).`,
    );
  if (!MODEL_NAME.test(name))
    throw new UsageError(
      `Bad model name ${JSON.stringify(name)}`,
      'Use lower-case letters, digits and dashes (at most 57), e.g. --name qwen2-5-0-5b-q4; the package is model-NAME.',
    );
  if (license !== undefined && plainLine(license, 500) === undefined)
    throw new UsageError('--license must be one line of plain text (at most 500 characters)');
  if (version !== undefined && !SEMVER.test(version))
    throw new UsageError(`--version ${JSON.stringify(version)} is not a version like 1.0.0`);
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

const workBase = (paths: Layout) => path.join(paths.cacheDir, 'model-import');

/**
 * The work folders (their names: PID-UUID) of this process's imports, from before each is made
 * until it is discarded: a folder of this pid not among them is an earlier process's.
 */
const usedHere = new Set<string>();

/**
 * Removes work folders of imports whose process is gone (SIGKILL, power cut): a dead pid's, and one
 * of this process's own pid that it is not using. The dashboard imports its uploads itself, and a
 * box booted again after a power cut often gives the next dashboard the pid of the one that died:
 * its folder (the model twice) was judged alive and kept for good (test/security/model-import-pid-
 * reused). Another live pid's stays (the image clears them all at boot: tmpfiles.d).
 */
async function pruneStale(paths: Layout): Promise<void> {
  for (const name of await readdir(workBase(paths)).catch(() => [])) {
    const pid = Number(WORK_DIR.exec(name)?.[1]);
    if (!(pid > 0)) continue;
    if (pid === process.pid ? !usedHere.has(name) : !alive(pid))
      await rm(path.join(workBase(paths), name), { recursive: true, force: true });
  }
}

/**
 * Each live import's work folder, known to exit-cleanup.ts: a second Ctrl-C or SIGTERM ends the
 * process at once, before `discardImport` runs, and the folder holds the model twice (its copy and
 * its package); left, it would fill the disk until the next import.
 */
const tracked = new Map<string, () => void>();
/**
 * Removes an import's work folder; with `made` (after a failure) also the folders it made on the
 * way there, deepest first, while they are empty: a refused import leaves nothing on disk. The
 * first one that is not empty (another import's, another command's) ends it.
 */
export async function discardImport(
  work: string,
  made: readonly string[] = [],
  failed = true,
): Promise<void> {
  await rm(work, { recursive: true, force: true });
  usedHere.delete(path.basename(work));
  tracked.get(work)?.();
  tracked.delete(work);
  await endRoom(work, failed);
  await removeWhileEmpty(made);
}

/** A GGUF bigger than a package may hold: refused before it is read (or uploaded). */
export function checkImportSize(shown: string, size: number): void {
  if (size > MAX_PACKAGE_BYTES)
    throw new VerificationError(
      `${shown} is ${(size / 1024 ** 3).toFixed(1)} GiB; a package holds at most ${MAX_PACKAGE_GIB}`,
      'too-big',
      'Use a smaller quantisation of the model; nothing was imported.',
    );
}

/**
 * Refuses before writing anything when the file system cannot hold the import: the private copy,
 * then the package made of it and the package manager's own copy of that and the unpacked files.
 * With `upload`, the dashboard's upload of the file too (kept under the cache until the import ends).
 * The bytes promised to uploads and imports in flight on the box, in any process (upload-room.ts),
 * are counted as taken (`promised`: as the account's lock holder read them). Returns the bytes of
 * the cache's file system this asked for (the reserve not counted): what an upload or import
 * promises itself once this passed (reserveImportSpace).
 */
export async function checkImportSpace(
  paths: Layout,
  size: number,
  upload = false,
  /** The upload file being imported: its own promise (upload-room.ts) is not counted against it. */
  own?: string,
  promisedNow?: number,
): Promise<number> {
  const cache = await freeSpace(paths.cacheDir);
  const opt = await freeSpace(paths.optDir);
  const promised = promisedNow ?? (await promisedIn(paths, own));
  const sameDisk = cache.dev === opt.dev;
  const asked = ((sameDisk ? 3 : 2) + (upload ? 1 : 0)) * size;
  const needCache = asked + SPACE_RESERVE;
  const haveCache = cache.bytes - promised;
  const haveOpt = opt.bytes - (sameDisk ? promised : 0);
  const short =
    haveCache < needCache
      ? { where: paths.cacheDir, need: needCache, have: haveCache }
      : haveOpt < size + SPACE_RESERVE
        ? { where: paths.optDir, need: size + SPACE_RESERVE, have: haveOpt }
        : undefined;
  const inFlight = promised
    ? `${(promised / 1024 ** 3).toFixed(2)} GiB of the free space is promised to model imports and uploads in progress, and counted as taken (wait for them to end, or cancel one). `
    : '';
  if (short)
    throw notEnoughSpace(
      upload ? 'to upload and import this model' : 'to import this model',
      short.where,
      short.need,
      Math.max(0, short.have),
      `${inFlight}Free some space (\`bpkg clean\` deletes downloaded package archives; \`bpkg remove model-NAME\` a model no longer used) and try again; nothing was imported.`,
    );
  return asked;
}

/**
 * checkImportSpace, and what it asked for promised (upload-room.ts) under the account's lock, so
 * that no other upload or import, in this process or another, counts the same free bytes.
 * `owner`: the upload's file, named before a byte of it is written.
 */
export const reserveImportSpace = (paths: Layout, size: number, upload: boolean, owner?: string) =>
  reserveRoom(paths, (promised) => checkImportSpace(paths, size, upload, undefined, promised), owner);

/** Reads `src` once into `dest` (a new file), hashing the bytes on the way (copy-hashed.ts). */
async function copyOnce(
  input: FileHandle,
  src: string,
  size: number,
  dest: string,
  opts: ImportSource,
  written: (n: number) => void,
): Promise<string> {
  const out = await open(
    dest,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o644,
  );
  const changed = (how: string) =>
    new VerificationError(
      `${opts.shownAs ?? src} ${how} while it was read`,
      'changed-while-reading',
      'Copy the file to a local disk and import that copy; nothing was imported.',
    );
  try {
    opts.onProgress?.({ phase: 'copy', bytes: 0, total: size });
    const copied = await copyHashed(input, out, size, {
      grew: () => changed('grew'),
      ...(opts.signal ? { signal: opts.signal } : {}),
      onChunk: (chunk, before) => {
        // The first bytes say whether it is a GGUF at all: a wrong file is refused before it is copied.
        if (before === 0 && (chunk.length < 4 || chunk.toString('latin1', 0, 4) !== 'GGUF'))
          throw new VerificationError(
            `${opts.shownAs ?? src} is not a GGUF model file (it does not start with "GGUF")`,
            'not-gguf',
            'Give a .gguf file as llama.cpp writes it; nothing was imported.',
          );
        opts.onProgress?.({ phase: 'copy', bytes: before + chunk.length, total: size });
        written(before); // the chunks before this one are on disk
      },
    });
    if (copied.size !== size) throw changed(`shrank (${copied.size} of ${size} bytes)`);
    await out.sync();
    return copied.sha256;
  } finally {
    await out.close();
  }
}

/** Builds and signs the package in a private folder; the caller installs it, then discards `work`. */
export async function buildModelPackage(
  paths: Layout,
  key: LocalKey,
  opts: ImportSource,
): Promise<BuiltModelPackage> {
  checkImportName(opts.name, opts.license, opts.version);
  const src = path.resolve(opts.file);
  const { input, size } = await openUntrusted(src, {
    missing: 'Check the path of the .gguf file (is the USB stick mounted?).',
    notAFile: 'Give the path of a .gguf file, not a device, pipe or folder.',
    ext: '.gguf',
    example: (file) => `blueprint model import ${file} --name ${opts.name}`,
  });
  await pruneStale(paths).catch(async (err) => {
    await input.close();
    throw err;
  });
  const work = path.join(workBase(paths), `${process.pid}-${randomUUID()}`);
  // Ours before it is made: another import of this process pruning meanwhile leaves it.
  usedHere.add(path.basename(work));
  const made = notYetThere(workBase(paths));
  try {
    checkImportSize(opts.shownAs ?? src, size);
    // An upload's import takes over that upload's promise (what is left of it: this import's
    // copies), not adding one of its own; any other (the CLI's) promises its own room, given back
    // when its work folder is discarded.
    const handed = uploadRoom(src);
    if (handed) {
      await checkImportSpace(paths, size, false, src);
      holdRoom(work, handed, true);
    } else holdRoom(work, await reserveImportSpace(paths, size, false), false);
    const folder = path.join(work, 'payload/models', opts.name);
    // The cache folders as the package manager makes them; only this import's own folder is private.
    await ensureDir(workBase(paths));
    // Another refused import may have removed the new folders between those two steps: once more.
    await mkdir(work, { mode: 0o700 }).catch(async (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await ensureDir(workBase(paths));
      await mkdir(work, { mode: 0o700 });
    });
    tracked.set(work, trackTemp(work));
    // Recursive, and fine: inside `work`, made just above by this import (0700, ours); no /proc or
    // another's link can be on the way below it.
    await mkdir(folder, { recursive: true });
    const gguf = path.join(folder, `${opts.name}.gguf`);
    // Each step's bytes, once on disk, are no longer promised (import-room.ts).
    const copied = roomSteps(work, size);
    const ggufSha256 = await copyOnce(input, src, size, gguf, opts, copied.written);
    await input.close().catch(() => {});
    await copied.end();
    // Only the copy is read from here on.
    const copy = await open(gguf, constants.O_RDONLY | constants.O_NOFOLLOW);
    const info = await readGgufInfo(copy, size).finally(() => copy.close());
    // One part of a split model (gguf-split's split.no/split.count): the others are not in the package.
    const parts = Number(info.metadata.get('split.count') ?? 1);
    if (parts > 1)
      throw new VerificationError(
        `${opts.shownAs ?? src} is part ${Number(info.metadata.get('split.no') ?? 0) + 1} of ${parts} of a split GGUF; a model package holds one whole file`,
        'gguf-split',
        "Merge the parts into one file first (llama.cpp's `llama-gguf-split --merge FIRST-PART.gguf MODEL.gguf`) and import that; nothing was imported.",
      );
    const files: Record<string, string> = { [`models/${opts.name}/${opts.name}.gguf`]: ggufSha256 };
    const template = info.metadata.get('tokenizer.chat_template');
    if (typeof template === 'string' && template !== '') {
      await writeFile(path.join(folder, 'chat_template.jinja'), template, { flag: 'wx', mode: 0o644 });
      files[`models/${opts.name}/chat_template.jinja`] = createHash('sha256').update(template).digest('hex');
    }
    const manifest = modelManifest({
      name: opts.name,
      version: opts.version ?? '1.0.0',
      license: opts.license ?? plainLine(info.metadata.get('general.license'), 500),
      displayName: plainLine(info.metadata.get('general.name'), 100),
      hasTemplate: files[`models/${opts.name}/chat_template.jinja`] !== undefined,
      files: Object.fromEntries(Object.entries(files).sort(([a], [b]) => a.localeCompare(b))),
    });
    await writeFile(path.join(work, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, {
      flag: 'wx',
    });
    const file = path.join(
      work,
      packageFileName(manifest as { name: string; version: string; arch: string }),
    );
    // The package (its GGUF's bytes counted: what the check asked for it) lowers the promise as it is written.
    const packed = roomSteps(work, size);
    await packTar(work, file, size, opts, packed.written);
    await packed.end();
    // The package holds the GGUF now: the loose copy goes, so the disk holds it twice at most. Its
    // room is what the install's copy of the package takes next: promised again before it is freed.
    await stillNeeded(work, size);
    await rm(path.join(work, 'payload'), { recursive: true, force: true });
    opts.onProgress?.({ phase: 'sign' });
    await key.ensure();
    await writeFile(`${file}.asc`, await key.sign(file), { flag: 'wx', mode: 0o644 });
    return { file, manifest, work, made, ggufSha256, ggufBytes: size };
  } catch (err) {
    await input.close().catch(() => {});
    await discardImport(work, made);
    if (opts.signal?.aborted) throw opts.signal.reason ?? err;
    throw storageErrorFrom(err, 'importing the model');
  }
}

/**
 * A plain (uncompressed) tar: manifest.json, then payload/. Quantised weights barely compress and
 * gzip would cost minutes on a large model; the package manager accepts plain tar packages.
 */
async function packTar(
  work: string,
  file: string,
  size: number,
  opts: ImportSource,
  written: (n: number) => void,
): Promise<void> {
  let done = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length;
      opts.onProgress?.({ phase: 'package', bytes: Math.min(done, size), total: size });
      written(out.bytesWritten); // what the stream has written, not what it holds
      cb(null, chunk);
    },
  });
  const pack = createTar({ cwd: work, portable: true, gzip: false }, ['manifest.json', 'payload']);
  const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
  const source = pack as unknown as NodeJS.ReadableStream;
  if (opts.signal) await pipeline(source, meter, out, { signal: opts.signal });
  else await pipeline(source, meter, out);
}
