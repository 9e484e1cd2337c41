import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, mkdir, mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { storageErrorFrom, VerificationError } from '../errors.js';
import {
  copyHashed,
  freeSpace,
  notEnoughSpace,
  openUntrusted,
  SPACE_RESERVE,
} from '../system/copy-hashed.js';
import { alive } from '../system/lock.js';

/** A copy in `workDir`: `.bundle-PID-UUID.raucb`. */
const COPY = /^\.bundle-([0-9]+)-[0-9a-f-]{36}\.raucb$/;

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
  const { input, size } = await openUntrusted(file, {
    missing: 'Give the path of a .raucb file.',
    notAFile: 'Give the path of a .raucb file, not a device, pipe or folder.',
  });
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
    if (workDir) await mkdir(workDir, { recursive: true, mode: 0o700 });
    else made = await mkdtemp(path.join(where, 'blueprint-bundle-'));
    const dir = workDir ?? made;
    copy = path.join(dir as string, `.bundle-${process.pid}-${randomUUID()}.raucb`);
    const sha256 = await copyOnce(input, copy, size, file, signal);
    return { result: await use(copy), sha256 };
  } finally {
    await input.close().catch(() => {});
    if (copy) await rm(copy, { force: true });
    if (made) await rm(made, { recursive: true, force: true });
  }
}

async function copyOnce(
  input: FileHandle,
  copy: string,
  size: number,
  file: string,
  signal: AbortSignal | undefined,
): Promise<string> {
  let output: FileHandle | undefined;
  try {
    // O_EXCL and O_NOFOLLOW: nothing planted at the name is written through.
    output = await open(
      copy,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    const { sha256 } = await copyHashed(input, output, size, {
      grew: () =>
        new VerificationError(
          `${file} changed while it was read`,
          'changed-while-reading',
          'Copy the bundle to a local disk and run the command again; nothing was written.',
        ),
      ...(signal ? { signal } : {}),
    });
    await output.close();
    output = undefined;
    return sha256;
  } catch (err) {
    await output?.close().catch(() => {});
    throw signal?.aborted ? (signal.reason ?? err) : storageErrorFrom(err, `copying ${file}`);
  }
}

/** Removes copies left by processes that died before removing them (SIGKILL, power cut). */
async function pruneCopies(workDir: string): Promise<void> {
  for (const name of await readdir(workDir).catch(() => [])) {
    const pid = COPY.exec(name)?.[1];
    if (pid && !alive(Number(pid))) await rm(path.join(workDir, name), { force: true });
  }
}
