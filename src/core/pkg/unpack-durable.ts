/**
 * An unpacked payload on the disk before the install that made it commits (transaction.ts: a
 * power cut after the commit must find every file it names): each file's data synced as it ends,
 * then its folders (the names in them).
 */
import { close, closeSync, constants, fdatasync, fdatasyncSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { FileRecord } from './archive.js';

/** How many folders are synced at once (each on a thread of the pool). */
const AT_ONCE = 8;
/** Files whose data is being written to the disk at once, each holding its descriptor. */
const MAX_FLUSHING = 16;

export interface FileFlusher {
  /** A file just opened for writing (returned as given). */
  opened(fd: number): number;
  /** Its last byte is written: its data goes to the disk (on the thread pool), then it is closed. */
  ended(fd: number, rel: string): void;
  /** Every ended file synced and closed, and any file left open (the unpack stopped inside it) closed. */
  settled(): Promise<void>;
}

/** `failed` hears of a file whose data the disk refused (EIO; ENOSPC where allocation was delayed). */
export function fileFlusher(failed: (err: unknown, rel: string) => void): FileFlusher {
  const flushing: Array<Promise<void>> = [];
  const writing = new Set<number>();
  let inFlight = 0;
  return {
    opened(fd) {
      writing.add(fd);
      return fd;
    },
    ended(fd, rel) {
      writing.delete(fd);
      if (inFlight >= MAX_FLUSHING) {
        // The disk is behind: wait for it here rather than hold more descriptors open.
        try {
          fdatasyncSync(fd);
        } catch (err) {
          failed(err, rel);
        } finally {
          closeSync(fd);
        }
        return;
      }
      inFlight++;
      flushing.push(
        new Promise<void>((resolve) =>
          fdatasync(fd, (err) => {
            inFlight--;
            if (err) failed(err, rel);
            close(fd, () => resolve());
          }),
        ),
      );
    },
    async settled() {
      await Promise.all(flushing);
      for (const fd of writing) closeSync(fd);
      writing.clear();
    },
  };
}

/**
 * The folders of `dest/payload` synced (the part an install renames into place), opened without
 * following a link.
 */
export async function syncFolders(dest: string, files: FileRecord[]): Promise<void> {
  const payload = path.join(dest, 'payload');
  const folders = new Set<string>([payload]);
  for (const f of files) {
    if (f.dir) folders.add(path.join(payload, f.path));
    for (let d = path.dirname(f.path); d !== '.' && d !== ''; d = path.dirname(d))
      folders.add(path.join(payload, d));
  }
  const list = [...folders];
  const next = async (): Promise<void> => {
    const dir = list.pop();
    if (dir === undefined) return;
    await syncNoFollow(dir, { folder: true }).catch((err: NodeJS.ErrnoException) => {
      // A package with no payload/ at all has nothing to sync.
      if (err.code !== 'ENOENT' || dir !== payload) throw err;
    });
    return next();
  };
  await Promise.all(Array.from({ length: AT_ONCE }, next));
}

/**
 * fsync a file or folder by its name, a link at the name refused (ELOOP): the package files this
 * module unpacks and the ones `repo build` has tar write (system/fs.ts's syncDir, its kin for the
 * box's own folders, is in the executable's start part).
 */
export async function syncNoFollow(name: string, { folder }: { folder: boolean }): Promise<void> {
  const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;
  const fh = await open(name, O_RDONLY | O_NOFOLLOW | (folder ? O_DIRECTORY : 0));
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
