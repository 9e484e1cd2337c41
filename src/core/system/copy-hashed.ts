import { createHash } from 'node:crypto';
import { type FileHandle, open, opendir, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import {
  BlueprintError,
  ExitCode,
  NotFoundError,
  StorageError,
  storageErrorFrom,
  VerificationError,
} from '../errors.js';
import { judgedOpen, type Opener } from './read-bounded.js';
import { shellWord } from './shell-word.js';

/** judgedOpen's descriptors as FileHandles (copyHashed reads one). */
const handles: Opener<FileHandle> = {
  open: (file, flags) => open(file, flags),
  stat: (h) => h.stat(),
  close: (h) => h.close(),
  fd: (h) => h.fd,
};

/**
 * Opens an untrusted file for its one read: judged first on an O_PATH descriptor (judgedOpen in
 * read-bounded.ts, the judgement every readBoundedFile makes), so that only a regular file is ever
 * opened: a device (an open /dev/watchdog arms the watchdog; a USB stick mounted with its device
 * nodes can hold one under any name, or a link to one) and a FIFO (a writer waiting on it goes on)
 * are refused before any open(2) that acts on them, as is a folder. The name's links are followed
 * (the admin gave it) where no one but root (or we) could have put them (named-path.ts; else
 * `unsafe-link`). The read itself is O_NONBLOCK. `size` is what the file said it has;
 * `copyHashed` holds it to that.
 */
export async function openUntrusted(
  src: string,
  hint: { missing: string; notAFile: string; ext?: string; example?: (file: string) => string },
): Promise<{ input: FileHandle; size: number }> {
  const r = await judgedOpen(src, { followLink: true }, handles).catch((err) => {
    throw storageErrorFrom(err, `reading ${src}`);
  });
  if (r.ok) return { input: r.handle, size: r.stat.size };
  if (r.why === 'open')
    throw r.error.code === 'ENOENT'
      ? new NotFoundError(`${src} not found`, hint.missing)
      : storageErrorFrom(r.error, `reading ${src}`);
  // A folder (the stick's, not the file in it) is the admin's slip, bad usage (exit 2) as the exit
  // code table has it; a device or a FIFO stays a refusal.
  if (r.stat.isDirectory()) throw await folderGiven(src, hint);
  throw new VerificationError(`${src} is not a regular file`, 'not-a-file', hint.notAFile);
}

/**
 * The error for folder `src` given where a file is expected: bad usage (exit 2), its hint the file
 * in it to pass instead (inFolder). Its code stays 'not-a-file' (--json readers keep theirs).
 */
export const folderGiven = async (
  src: string,
  hint: { notAFile: string; ext?: string; example?: (file: string) => string },
): Promise<BlueprintError> =>
  new BlueprintError(
    `${src} is a folder, not a file`,
    'not-a-file',
    await inFolder(src, hint),
    ExitCode.usage,
  );

/** The entries of a folder given for a file that are looked at for the file to name instead. */
const LOOKED_AT = 10_000;

/**
 * What to pass instead of folder `dir`: the first file in it named *`ext`, when it holds one, as a
 * shell word (its name is the stick's).
 */
async function inFolder(
  dir: string,
  hint: { notAFile: string; ext?: string; example?: (file: string) => string },
) {
  if (!hint.ext || !hint.example) return hint.notAFile;
  const ext = hint.ext;
  const found: string[] = [];
  try {
    // Its first entries only: a stick's folder may hold millions, and this is a hint.
    let seen = 0;
    for await (const d of await opendir(dir)) {
      if (d.name.endsWith(ext) && !d.isDirectory()) found.push(d.name);
      if (++seen >= LOOKED_AT) break;
    }
  } catch {}
  found.sort();
  if (!found.length) return `Pass the path of a ${ext} file: ${dir} holds none.`;
  const more = found.length > 1 ? ` (it holds ${found.length} ${ext} files)` : '';
  return `Pass the ${ext} file itself: ${hint.example(shellWord(path.join(dir, found[0]!)))}${more}`;
}

/**
 * One pass over an untrusted file: every chunk read is hashed and written to a fresh private
 * copy, so what is checked afterwards (signature, metadata, size) is exactly what was hashed,
 * whatever the source serves on a second read (a hostile USB stick or NFS server may change).
 * Used for local `.bpkg` files (pkg/fetch.ts) and GGUFs imported as model packages
 * (models/import.ts).
 */
export async function copyHashed(
  input: FileHandle,
  output: FileHandle,
  /** The size the source said it has: more bytes than this is `grew()`. */
  expected: number,
  opts: {
    grew: () => Error;
    /** Sees each chunk before it is written (`before`: bytes before it): a format check, progress. */
    onChunk?: (chunk: Buffer, before: number) => void;
    signal?: AbortSignal;
  },
): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
  let size = 0;
  for (;;) {
    opts.signal?.throwIfAborted();
    const n = (await input.read(buf, 0, buf.length, null)).bytesRead;
    if (n === 0) break;
    opts.onChunk?.(buf.subarray(0, n), size);
    size += n;
    // A file that grows while read (or a server that never stops) is not what was handed over.
    if (size > expected) throw opts.grew();
    hash.update(buf.subarray(0, n));
    for (let off = 0; off < n; ) off += (await output.write(buf, off, n - off)).bytesWritten;
  }
  return { size, sha256: hash.digest('hex') };
}

/**
 * Kept free beyond what a copy needs: a copy that only just fits would leave the box's other
 * services a full disk until it is gone.
 */
export const SPACE_RESERVE = 64 * 1024 ** 2;

/**
 * The bytes free (to a writer without root's reserved blocks) on the file system that holds `dir`,
 * or would hold it (its nearest existing parent), and that file system's device. Asked before a
 * copy of an untrusted file starts: its size is refused up front, not found out by filling the disk.
 */
export async function freeSpace(dir: string): Promise<{ bytes: number; dev: number }> {
  for (let at = dir; ; at = path.dirname(at)) {
    try {
      const [fs, st] = await Promise.all([statfs(at), stat(at)]);
      return { bytes: fs.bavail * fs.bsize, dev: st.dev };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || path.dirname(at) === at)
        throw storageErrorFrom(err, `reading the free space of ${dir}`);
    }
  }
}

const gib = (n: number) => `${(n / 1024 ** 3).toFixed(2)} GiB`;

/** `disk-full`, said before anything was written: `need` bytes under `where`, `have` free. */
export const notEnoughSpace = (what: string, where: string, need: number, have: number, hint: string) =>
  new StorageError(
    `Not enough free space ${what}: ${gib(need)} needed under ${where}, ${gib(have)} free`,
    'disk-full',
    hint,
  );
