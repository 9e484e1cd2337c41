import { constants } from 'node:fs';
import { type FileHandle, open, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { storageErrorFrom, VerificationError } from '../errors.js';
import { copyHashed } from '../system/copy-hashed.js';
import { alive } from '../system/process-alive.js';

/**
 * The one read of an untrusted file (a local package, an update bundle): a hostile USB stick or
 * NFS server can serve different bytes on every read, so the file is copied once, hashed on the
 * way, and everything that follows (signature, version, SHA-256, unpacking, installing) reads that
 * private copy, never the original.
 *
 * `input` is the source's descriptor from openUntrusted and `size` its fstat size (copyHashed
 * holds the copy to it). `copy` is created with O_EXCL and O_NOFOLLOW, 0600, so nothing planted at
 * the name is written through; on any failure it is removed. `again` ends the hint given when the
 * source grew while it was read. A stop by `signal` throws its reason; other failures are typed
 * storage errors.
 */
export async function writePrivateCopy(
  input: FileHandle,
  copy: string,
  size: number,
  src: string,
  again: string,
  signal: AbortSignal | undefined,
  /** The bytes written so far, as they land (each chunk once written; all of them at the end). */
  landed?: (bytes: number) => void,
): Promise<{ size: number; sha256: string }> {
  let output: FileHandle | undefined;
  try {
    output = await open(
      copy,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    const copied = await copyHashed(input, output, size, {
      grew: () => new VerificationError(`${src} changed while it was read`, 'changed-while-reading', again),
      // Ctrl-C stops a multi-GB copy at its next chunk; the partial copy is removed below.
      ...(signal ? { signal } : {}),
      // A chunk is seen before it is written: what came before it has landed.
      ...(landed ? { onChunk: (_chunk: Buffer, before: number) => landed(before) } : {}),
    });
    landed?.(copied.size);
    await output.close();
    output = undefined;
    return copied;
  } catch (err) {
    await output?.close().catch(() => {});
    await rm(copy, { force: true });
    throw signal?.aborted ? (signal.reason ?? err) : storageErrorFrom(err, `copying ${src}`);
  }
}

/**
 * Removes the private copies in `dir` (names matching `pattern`, whose first group is the PID of
 * the process that made them) left by processes that died before removing them (SIGKILL, power cut).
 * With `usingHere` (whether this process still uses the copy of that name), one of this process's
 * own pid that it is not using is an earlier process's, removed too: a box booted again after a
 * power cut often gives the dashboard, which installs the models it imports, the pid of the one
 * that died, and its copy (a model's size) was kept for good (test/security/private-copy-pid-reused).
 */
export async function pruneDeadCopies(
  dir: string,
  pattern: RegExp,
  usingHere?: (name: string) => boolean,
): Promise<void> {
  for (const name of await readdir(dir).catch(() => [])) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (!(pid > 0)) continue;
    const left = pid === process.pid ? usingHere !== undefined && !usingHere(name) : !alive(pid);
    if (left) await rm(path.join(dir, name), { force: true });
  }
}
