import path from 'node:path';
import { type BlueprintError, ConflictError } from '../errors.js';
import { acquireLock } from '../system/lock.js';
import { layout } from '../system/paths.js';

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
 * for a file's read and write, and waited for rather than refused. Between processes: the pid file
 * of system/lock.ts (one left by a killed process is taken over); within one (the web dashboard,
 * the watcher) the calls wait in line, as that lock refuses a second holder in its own process.
 */

const LOCK_FILE = 'client-tokens.lock';
const WAIT_MS = 30_000;
const line = new Map<string, Promise<void>>();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function acquireWaiting(file: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      return await acquireLock(file, 'write of consumer tokens');
    } catch (err) {
      if ((err as BlueprintError).code !== 'locked') throw err;
      if (Date.now() > deadline)
        throw new ConflictError(
          `Another blueprint process held ${file} for over ${WAIT_MS / 1000} s`,
          'locked',
          `Wait for it to finish; if no such process exists, remove ${file}.`,
        );
      await sleep(25);
    }
  }
}

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
    const release = await acquireWaiting(file);
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
