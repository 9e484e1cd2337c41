import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pruneDeadCopies, writePrivateCopy } from '../pkg/private-copy.js';
import { freeSpace, notEnoughSpace, openUntrusted, SPACE_RESERVE } from '../system/copy-hashed.js';
import { ensureDir } from '../system/fs.js';

/** A copy in `workDir`: `.bundle-PID-UUID.raucb`. */
const COPY = /^\.bundle-([0-9]+)-[0-9a-f-]{36}\.raucb$/;

/** The copies (their names) this process is making or using: another of its pid's is an earlier one's. */
const usingHere = new Set<string>();

/** Removes copies left by processes that died before removing them (SIGKILL, power cut), or by an earlier process of this pid. */
const pruneCopies = (workDir: string) => pruneDeadCopies(workDir, COPY, (name) => usingHere.has(name));

/** What a bundle's path that is no bundle file is told (openUntrusted, folderGiven). */
export const BUNDLE_FILE = {
  missing: 'Give the path of a .raucb file.',
  notAFile: 'Give the path of a .raucb file, not a device, pipe or folder.',
  ext: '.raucb',
  example: (file: string) => `blueprint system update ${file}`,
};

/**
 * A bundle named by its path is untrusted bytes: a hostile USB stick or network file system may
 * serve other bytes on each read. `rauc info` (whose version we judge) and `rauc install` each
 * open the file, so both are handed one private copy, read once from the source (hashed on the
 * way), root's and 0600 in a folder only root can change: what was judged is what is installed.
 *
 * `workDir`: the box's own scratch folder (on the data partition; a bundle is hundreds of MB);
 * without one, a fresh 0700 folder under the temporary directory. The copy is removed after `use`,
 * whatever happens.
 */
export async function withBundleCopy<T>(
  file: string,
  workDir: string | undefined,
  signal: AbortSignal | undefined,
  use: (copy: string) => Promise<T>,
): Promise<{ result: T; sha256: string }> {
  const { input, size } = await openUntrusted(file, BUNDLE_FILE);
  let made: string | undefined;
  let copy: string | undefined;
  try {
    if (workDir) await pruneCopies(workDir);
    const where = workDir ?? tmpdir();
    // Refused up front, not found out by filling the disk the box's services use.
    const free = await freeSpace(where);
    if (size + SPACE_RESERVE > free.bytes)
      throw notEnoughSpace(
        'to copy the bundle',
        where,
        size + SPACE_RESERVE,
        free.bytes,
        'Free some space there (`bpkg clean` deletes downloaded package archives) and run the command again; nothing was written.',
      );
    if (workDir) await ensureDir(workDir, 0o700);
    else made = await mkdtemp(path.join(where, 'blueprint-bundle-'));
    const dir = workDir ?? made;
    copy = path.join(dir as string, `.bundle-${process.pid}-${randomUUID()}.raucb`);
    usingHere.add(path.basename(copy));
    const again = 'Copy the bundle to a local disk and run the command again; nothing was written.';
    const { sha256 } = await writePrivateCopy(input, copy, size, file, again, signal);
    return { result: await use(copy), sha256 };
  } finally {
    await input.close().catch(() => {});
    if (copy) {
      await rm(copy, { force: true });
      usingHere.delete(path.basename(copy));
    }
    if (made) await rm(made, { recursive: true, force: true });
  }
}
