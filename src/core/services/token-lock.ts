import path from 'node:path';
import { acquireLock } from '../system/lock.js';
import { layout } from '../system/paths.js';
import { ensureDirSync } from './fs-cb.js';

/**
 * The lock of the consumer tokens (client-tokens.ts): a provider's `client-tokens` is written, and
 * a rotation's generations changed, only while it is held, and the writer reads which installed
 * modules use the provider under it too. So a start that read "rag uses llm" cannot write rag's
 * line after a removal of rag wrote the file without it: the removal deletes rag's registration
 * first, then writes the file under this lock, which either comes after the start's whole write
 * or makes the start read the registrations without rag (test/security/client-token-remove-race).
 *
 * Not the package lock: `bpkg remove` holds that for its whole transaction and starts a service
 * from inside it (an upgrade's next version), and `service start` takes no lock; this one is held
 * for a file's read and write, and waited for rather than refused. Within one process (the web
 * dashboard, the watcher) the calls wait in line. Between processes: system/lock.ts's pid file,
 * with a wait. Its lock file once existed empty between its create and its write of the pid
 * (another process read nothing there and took a live lock over) and its takeover removed the
 * name it judged, by then perhaps a newer holder's: four processes taking this lock in a loop had
 * two holders at once 74 times in 4 s (test/security/client-token-lock), the package lock the same
 * (test/security/package-lock-race). The folder is the box key's, root's alone: no one else can
 * put a file or a link there.
 */

const LOCK_FILE = 'client-tokens.lock';
const WAIT_MS = 30_000;
const line = new Map<string, Promise<void>>();

/** Runs `fn` holding the lock of `root`'s consumer tokens. */
export async function underTokenLock<T>(root: string, fn: () => Promise<T>): Promise<T> {
  const file = path.join(layout(root).stateDir, LOCK_FILE);
  const before = line.get(file) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((r) => {
    done = r;
  });
  const tail = before.then(() => mine);
  line.set(file, tail);
  await before;
  try {
    // The folder is the box key's, root's alone: made so if this is the first to need it.
    ensureDirSync(path.dirname(file), 0o700);
    const release = await acquireLock(file, 'blueprint process', { waitMs: WAIT_MS, mode: 0o600 });
    try {
      return await fn();
    } finally {
      await release();
    }
  } finally {
    done();
    if (line.get(file) === tail) line.delete(file);
  }
}
