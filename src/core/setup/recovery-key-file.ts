/**
 * Whether setup can keep the data partition's recovery key at the answers' recoveryKeyFile, judged
 * before the partition is encrypted. The key is written there instead of shown, so a file that
 * cannot be written leaves its only copy in setup's output (on a headless box nobody reads it),
 * and a file that does not last, or is someone else's to delete or swap, loses it. writeSecretFile
 * (core/system/safe-write.ts) judges the folders again as it writes; this is the same judgement,
 * made early, plus what only shows later: a read-only or memory file system.
 */
import { constants } from 'node:fs';
import { access, realpath, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { otherWriterAtOrAbove } from '../system/folder-writers.js';

/** On the A/B image /root is the read-only slot; /var is kept on the data partition. */
export const SUGGESTED_RECOVERY_KEY_FILE = '/var/lib/blueprint/recovery-key.txt';

/** statfs(2) f_type of the file systems that live in memory only (linux/magic.h). */
const IN_MEMORY = new Map([
  [0x01021994, 'tmpfs'],
  [0x858458f6, 'ramfs'],
]);

const HINT = `Name a file in a folder only root can change, on a disk that keeps it (e.g. ${SUGGESTED_RECOVERY_KEY_FILE}; /root is read-only on the A/B image), and move it off the box afterwards; nothing was encrypted.`;

const code = (err: unknown) => (err as NodeJS.ErrnoException)?.code ?? String(err);

/** Why the recovery key could not be kept at `file` (an absolute path), or undefined. */
export async function recoveryKeyFileRefusal(file: string): Promise<UsageError | undefined> {
  const refuse = (why: string) => new UsageError(`encryption.recoveryKeyFile ${file}: ${why}`, HINT);
  // The nearest folder that exists, links resolved: writeSecretFile makes the missing ones there.
  let real: string | undefined;
  for (let at = path.dirname(path.resolve(file)); real === undefined; at = path.dirname(at)) {
    try {
      real = await realpath(at);
    } catch (err) {
      if (code(err) === 'ENOTDIR') return refuse(`${at} is not a folder`);
      if (code(err) !== 'ENOENT' || path.dirname(at) === at) return refuse(`${at}: ${code(err)}`);
    }
  }
  const st = await stat(real);
  if (!st.isDirectory()) return refuse(`${real} is not a folder`);
  // As writeSecretFile judges them: a sticky /tmp is fine, a group-writable folder is not.
  const allow = { stickyIsFine: true, ownGroupIsFine: false };
  const writer = await otherWriterAtOrAbove(real, st, allow, allow);
  if (writer) return refuse(`${writer.at} is ${writer.who}: another user could delete or swap the key`);
  try {
    await access(real, constants.W_OK | constants.X_OK);
  } catch (err) {
    return refuse(
      code(err) === 'EROFS'
        ? `${real} is on a read-only file system`
        : `${real} cannot be written (${code(err)})`,
    );
  }
  // /run, or a tmpfs /tmp: empty after the restart that follows an encrypting first boot, before
  // anyone moved the key off the box. (The first boot's /var is an overlay: it is kept.)
  const kind = IN_MEMORY.get((await statfs(real)).type);
  if (kind) return refuse(`${real} is in memory (${kind}): the key would be gone at the next restart`);
  return undefined;
}
