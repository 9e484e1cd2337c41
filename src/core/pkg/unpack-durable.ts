/**
 * The folders of an unpacked payload synced to the disk (fsync on each folder: the names in it,
 * so the files whose data extractStream synced are found there after a power cut). Only folders
 * under `dest/payload`, the part an install renames into place; opened without following a link.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { FileRecord } from './archive.js';

/** How many folders are synced at once (each on a thread of the pool). */
const AT_ONCE = 8;

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
    const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW).catch(
      (err: NodeJS.ErrnoException) => {
        // A package with no payload/ at all has nothing to sync.
        if (err.code === 'ENOENT' && dir === payload) return undefined;
        throw err;
      },
    );
    if (fh)
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    return next();
  };
  await Promise.all(Array.from({ length: AT_ONCE }, next));
}
