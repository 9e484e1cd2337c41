/**
 * `blueprint repo publish DIR --to URL`: copies a built repository to a registry or bucket. Only
 * the files the repository needs go up (what its index names, each with its .asc, the index and its
 * signature, a key rotation notice): a private key left in the folder is never published. Packages
 * first, the index last, so a reader never sees an index naming a package not yet there; to a
 * bucket, the index's signature by hash before the index, so a reader never sees a new index
 * without its signature (repo-fetch.ts).
 */
import { createHash } from 'node:crypto';
import { close, createReadStream } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BlueprintError, NotFoundError, UsageError, VerificationError } from '../errors.js';
import {
  changedWhileReading,
  openRegular,
  pathOfFd,
  readBoundedFile,
  statRegular,
} from '../system/read-bounded.js';
import { shellWord } from '../system/shell-word.js';
import { BY_HASH_NAME, staleByHash } from './by-hash-prune.js';
import { parseIndex } from './format.js';
import { PublishFolders } from './publish-folders.js';
import { PublishRecord } from './publish-record.js';
import { signatureByHash } from './repo-trust.js';
import { joinUrl, transportFor } from './transport.js';
import { REACH_HINT } from './transports/http.js';
import type { PublishedFile, PublishStep } from './transports/types.js';

export interface PublishOutcome {
  to: string;
  files: PublishedFile[];
}

/**
 * `publish` uploads to registries and buckets; a folder or a web server needs no upload by
 * blueprint: the built folder is the repository as it is, copied there with the usual tools.
 */
function notUploadedHint(dir: string, to: string): string {
  const here = shellWord(dir);
  const uploads = '`blueprint repo publish` uploads to oci://REGISTRY/NAME or s3://BUCKET/PREFIX.';
  if (/^https?:\/\//.test(to))
    return `${here} is the repository, served as it is: copy it to the web server's folder for ${to} (\`rsync -a ${shellWord(`${dir}/`)} HOST:PATH/\`); a box adds it with \`bpkg repo add NAME ${shellWord(to)} --key FPR\`. ${uploads}`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(to) && !to.startsWith('file://')) return uploads;
  let folder = to;
  try {
    folder = to.startsWith('file://') ? fileURLToPath(to) : path.resolve(to);
  } catch {}
  return `${here} is the repository, served as it is: copy it (\`cp -a ${shellWord(`${dir}/.`)} ${shellWord(folder)}\`, or onto a USB stick) or serve ${here} itself; a box adds the copy with \`bpkg repo add NAME ${shellWord(pathToFileURL(folder).href)} --key FPR\`. ${uploads}`;
}

export async function publishRepository(
  dir: string,
  to: string,
  /** After each file: stored now, or `kept` (the store held these bytes already). */
  info: (rel: string, kept?: boolean) => void = () => {},
  /** Before each file's upload: its size and how long it is given (publishDeadlineMs). */
  starting: (rel: string, size: number, deadlineMs: number) => void = () => {},
  /** The folder of publish records (publish-record.ts): the ETags earlier publishes were answered. */
  recordDir?: string,
): Promise<PublishOutcome> {
  if (!/^(oci|s3):\/\//.test(to)) throw new UsageError(`Cannot publish to ${to}`, notUploadedHint(dir, to));
  const t = await transportFor(to);
  const put = t.put?.bind(t);
  if (!put) throw new UsageError(`Cannot publish to ${to}`, notUploadedHint(dir, to));
  const root = await realpath(dir);
  const folders = new PublishFolders(root);
  await folders.start();
  const index = parseIndex(await readIndex(path.join(dir, 'index.json')));
  const rels: string[] = [];
  // What the index says of each package: a file with other bytes is not sent (the index names
  // what was built; anything else at its name is a stale build, or someone else's doing).
  const expected = new Map(index.packages.map((p) => [p.path, p]));
  for (const p of index.packages) rels.push(p.path, `${p.path}.asc`);
  for (const r of ['keys/rotation.json', 'keys/rotation.json.asc'])
    if (await isFile(path.join(dir, r))) rels.push(r);
  rels.push('index.json', 'index.json.asc');
  // Every folder on the way judged before anything is sent (and again below, on the descriptor).
  for (const rel of rels) {
    const real = await realpath(path.join(dir, rel)).catch(() => undefined);
    if (real?.startsWith(root + path.sep)) await folders.beneath(real);
  }
  // Credentials missing are said before any file is announced as uploading.
  await t.ready?.(to);
  const files: PublishedFile[] = [];
  const record = await PublishRecord.open(bucketRecordDir(to, recordDir), to);
  let committing = false;
  const bucket = to.startsWith('s3://');
  const step = deadlines(
    to,
    () => files.length,
    () => committing,
  );
  const judge = (rel: string) => {
    joinUrl(to, rel); // the same path check a reader makes, before the file is opened
    return openJudged(dir, root, folders, rel, expected.get(rel));
  };
  /** Sends an opened file as `as` (its own name unless said), under its own deadline. */
  const send = async (f: Judged, as = f.rel) => {
    joinUrl(to, as); // the same path check a reader makes
    const holds = t.holds?.bind(t);
    const etag = record.etagOf(as, f.sha256, f.size);
    const kept = holds ? await step(as, 0, (signal) => holds(to, as, { ...f, etag }, signal)) : false;
    let stored: void | { etag?: string } | undefined;
    if (!kept) {
      starting(as, f.size, publishDeadlineMs(f.size));
      stored = await step(as, f.size, (signal) => put(to, as, f, f.sha256, signal));
    }
    record.published(as, f.sha256, f.size, stored ? stored.etag : undefined);
    files.push({ rel: as, sha256: f.sha256, size: f.size });
    info(as, kept);
  };
  try {
    for (let i = 0; i < rels.length; i++) {
      const rel = rels[i]!;
      if (bucket && (rel === 'index.json' || rel === 'keys/rotation.json')) {
        // A bucket cannot replace two objects at once: a signed file's signature goes up first
        // under a name from the file's SHA-256 (which readers fall back to: RepoTrust.verifyServed),
        // then the file, then its .asc for readers that know only that name. Both opened (and
        // hashed) first.
        const file = await judge(rel);
        try {
          const sig = await judge(`${rel}.asc`);
          try {
            await send(sig, signatureByHash(file.sha256));
            await send(file);
            await send(sig);
          } finally {
            await closeFd(sig.fd);
          }
        } finally {
          await closeFd(file.fd);
        }
        i++; // its .asc, sent
        continue;
      }
      const f = await judge(rel);
      try {
        await send(f);
      } finally {
        await closeFd(f.fd);
      }
    }
  } finally {
    // Also after a failure: what was stored is not sent again next time. Not written: sent again.
    await record.save().catch(() => {});
  }
  committing = true;
  await t.commit?.(to, files, step);
  if (bucket)
    await pruneBucket(to, t, new Set(files.map((f) => f.sha256))).catch((err) => {
      if (!(err instanceof BlueprintError)) throw err;
      throw new BlueprintError(
        `${to} is published (every file is stored, readers see the new repository), but its old signatures by hash were not removed: ${err.message}`,
        err.code,
        `${err.hint ?? ''} Publishing again removes them; until then they are only kept longer.`.trim(),
        err.exitCode,
        { cause: err },
      );
    });
  return { to, files };
}

/** Only a bucket's publishes are recorded: a registry is asked by digest (oci.ts). */
const bucketRecordDir = (to: string, dir: string | undefined) => (to.startsWith('s3://') ? dir : undefined);

/**
 * Deletes the bucket's stale signatures by hash (by-hash-prune.ts), after everything is stored:
 * never one of a file just published (the index's, the rotation notice's), and only objects named
 * by-hash/SHA256/HEX.asc. A failure is the publish's error, which says the repository itself is stored.
 */
async function pruneBucket(
  to: string,
  t: Awaited<ReturnType<typeof transportFor>>,
  current: Set<string>,
): Promise<void> {
  const { list, remove } = t;
  if (!list || !remove) return;
  // Each request under a publish step's deadline, without its words (written for the files' uploads).
  const ms = publishDeadlineMs(0);
  const within = async <T>(what: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const signal = AbortSignal.timeout(ms);
    return run(signal).catch((err) => {
      if (!signal.aborted) throw err;
      throw new BlueprintError(
        `${to}: ${what} was not answered within ${Math.round(ms / 1000)} s`,
        'publish-timeout',
        'Publish again once the server answers promptly.',
      );
    });
  };
  const under = 'by-hash/SHA256/';
  const entries = (await within(`listing ${under}`, (signal) => list.call(t, to, under, signal))).flatMap(
    (o) => {
      const hex = BY_HASH_NAME.exec(o.rel.slice(under.length))?.[1];
      return o.rel.startsWith(under) && hex ? [{ hex, stored: o.stored }] : [];
    },
  );
  for (const hex of staleByHash(entries, current))
    await within(`deleting ${under}${hex}.asc`, (signal) => remove.call(t, to, `${under}${hex}.asc`, signal));
}

interface Judged {
  rel: string;
  fd: number;
  size: number;
  sha256: string;
  /** The MD5 too (S3's ETag of an object stored in one PUT, which the store computes itself). */
  md5: string;
}

/**
 * Opens `rel` once, not through a link at its name, and judges it where it really is (a link to a
 * folder on the way counts): hashed here and uploaded from this descriptor, never by name again,
 * so whoever can write in the folder cannot swap in a link to another of the publisher's files.
 * A package whose bytes differ from the index's entry is refused. The caller closes `fd`.
 */
async function openJudged(
  dir: string,
  root: string,
  folders: PublishFolders,
  rel: string,
  entry: { sha256: string; size: number } | undefined,
): Promise<Judged> {
  const file = path.join(dir, rel);
  const opened = await openRegular(file);
  if (!opened.ok)
    throw new NotFoundError(`${file} is missing (or not a regular file)`, 'Rebuild the repository.');
  const { fd, stat } = opened;
  try {
    const real = pathOfFd(fd);
    if (real === undefined || !real.startsWith(root.endsWith(path.sep) ? root : root + path.sep))
      throw new VerificationError(
        `${file} is not in ${dir} (it is ${JSON.stringify(real ?? '?')}): a link on the way leads out`,
        'path-outside-repository',
        'Publish from a folder only you can write, with no links in it (`blueprint repo build` writes none).',
      );
    await folders.beneath(real);
    const { sha256, md5 } = await hashFd({ fd, size: stat.size });
    if (entry && (entry.sha256 !== sha256 || entry.size !== stat.size))
      throw new VerificationError(
        `${file} is ${stat.size} bytes with SHA-256 ${sha256}; the index says ${entry.size} bytes, ${entry.sha256}`,
        'hash-mismatch',
        'Rebuild the repository (blueprint repo build) and publish again; this file was not sent.',
      );
    return { rel, fd, size: stat.size, sha256, md5 };
  } catch (err) {
    await closeFd(fd);
    throw err;
  }
}

const closeFd = (fd: number) => new Promise((r) => close(fd, r));

/**
 * How long one step of a publish (a file's upload, a manifest) may take: a minute plus its size at
 * a rate slower than any real uplink (16 KiB/s: uplinks are often a tenth of the downlink, whose
 * floor is 128 KiB/s after the first minute, download-pace.ts). The socket's idle
 * timeout alone let a server that sends a byte every few seconds (a 201's body, a token, a
 * redirect's next hop) hold the publish for as long as it liked.
 */
export const publishLimits = { baseMs: 60_000, minBytesPerSecond: 16 * 1024 };

/** How long a step that sends `bytes` is given (publishLimits). */
export function publishDeadlineMs(bytes: number): number {
  return Math.ceil(publishLimits.baseMs + (bytes / publishLimits.minBytesPerSecond) * 1000);
}

/**
 * Each step under its own deadline. Its error, the deadline's or the server's, names the step and
 * says what readers see meanwhile: a registry shows nothing new until the repository's manifest
 * (pushed last) is stored; a bucket shows each file as it is stored, a signed file's signature by
 * hash before the file, its .asc after it.
 */
function deadlines(to: string, uploaded: () => number, committing: () => boolean): PublishStep {
  const oci = to.startsWith('oci://');
  let byHash = ''; // the last signature stored by hash
  const older = 'boxes whose bpkg predates signatures by hash (they read the .asc alone)';
  const seen = (what: string) => {
    if (committing())
      return 'every file is uploaded; until the repository manifest is stored, readers see the repository as it was';
    const pair = /^(index\.json|keys\/rotation\.json)(\.asc)?$/.exec(what);
    if (oci || !pair)
      return uploaded() === 0
        ? 'nothing was uploaded (index.json goes last): readers see the repository as it was'
        : `${uploaded()} files went up before it, nothing after it, and not index.json (sent after them): readers see the repository as it was`;
    const [, file, asc] = pair;
    const now = asc
      ? `the new ${file} is stored, and its signature as ${byHash}, by which readers verify it; ${what} still holds the previous signature, so ${older} refuse the repository until a publish succeeds`
      : `the new ${file} may or may not be stored (a bucket keeps an upload whole or not at all); its signature already is, as ${byHash}, so readers verify whichever they get, except ${older}, which refuse a new one until a publish succeeds`;
    return file === 'index.json'
      ? now
      : `${now}; index.json is not sent, so readers see the packages as they were`;
  };
  return async (what, bytes, run) => {
    const { baseMs, minBytesPerSecond } = publishLimits;
    const ms = publishDeadlineMs(bytes);
    const deadline = AbortSignal.timeout(ms);
    try {
      const done = await run(deadline);
      if (what.startsWith('by-hash/')) byHash = what;
      return done;
    } catch (err) {
      if (!deadline.aborted) {
        if (!(err instanceof BlueprintError)) throw err;
        // The box's hint (`bpkg repo list`) names nothing the publisher has: the --to URL does.
        const hint =
          err.hint === REACH_HINT
            ? `Check the network and the --to URL${oci ? '' : ' and the S3 endpoint (AWS_ENDPOINT_URL_S3, or the AWS config)'}, then publish again.`
            : err.hint;
        throw new BlueprintError(`${err.message}; ${seen(what)}`, err.code, hint, err.exitCode, {
          cause: err,
        });
      }
      throw new BlueprintError(
        `${to}: ${what}${bytes > 0 ? ` (${bytes} bytes)` : ''} was not stored within ${Math.round(ms / 1000)} s (${Math.round(baseMs / 1000)} s, plus a second per ${Math.round(minBytesPerSecond / 1024)} KiB): the server kept the request open; ${seen(what)}`,
        'publish-timeout',
        `Publish again once the server answers promptly${oci ? ' (blobs the registry already holds are not sent again)' : ''}, or publish to another ${oci ? 'registry' : 'bucket'}.`,
      );
    }
  };
}

/** A box reads an index of at most this (repo-fetch.ts): a bigger one is not worth sending. */
const MAX_INDEX_BYTES = 64 * 1024 * 1024;

/**
 * The index, read once as every file here is judged (isFile): not through a link at its name, and
 * a FIFO refused at once instead of waited on for good.
 */
async function readIndex(file: string): Promise<Buffer> {
  const r = await readBoundedFile(file, MAX_INDEX_BYTES);
  if (r.ok) return r.bytes;
  if (r.why === 'open' && r.error.code === 'ENOENT')
    throw new NotFoundError(
      `${path.dirname(file)} has no index.json`,
      'Build it first: blueprint repo build … --repo DIR',
    );
  if (r.why === 'too-large')
    throw new VerificationError(
      `${file} is ${r.stat.size} bytes, more than the ${MAX_INDEX_BYTES / 1024 ** 2} MiB a box reads`,
      'index-too-large',
      'Split the packages over more than one repository.',
    );
  if (r.why === 'grew')
    throw changedWhileReading(file, 'Wait for the repository build to finish, then publish again.');
  throw new NotFoundError(`${file} is missing (or not a regular file)`, 'Rebuild the repository.');
}

/** The SHA-256 and MD5 of a descriptor's first `size` bytes (pread from 0: the upload reads the same). */
async function hashFd(body: { fd: number; size: number }): Promise<{ sha256: string; md5: string }> {
  const hash = createHash('sha256');
  const md5 = createHash('md5');
  if (body.size > 0)
    for await (const chunk of createReadStream('', {
      fd: body.fd,
      start: 0,
      end: body.size - 1,
      autoClose: false,
    })) {
      hash.update(chunk as Buffer);
      md5.update(chunk as Buffer);
    }
  return { sha256: hash.digest('hex'), md5: md5.digest('hex') };
}

async function isFile(p: string): Promise<boolean> {
  return (await statRegular(p).catch(() => undefined))?.ok === true;
}
