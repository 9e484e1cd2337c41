import { readFile } from 'node:fs/promises';
import { ConflictError } from '../errors.js';
import { acquireLock, LockHeldError } from '../system/lock.js';
import { shellWord } from '../system/shell-word.js';

/**
 * What the lock's holder `pid` is, as its command line says: `blueprint apply`, the setup wizard
 * (the console's, or `blueprint setup`), or a process not known. The command line is read, never
 * shown: it is the holder's (a path in it could be anything).
 */
async function holderIs(pid: number): Promise<string> {
  const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
  return args.includes('apply')
    ? '`blueprint apply`'
    : args.some((a) => a === 'setup' || a === 'tui' || a.endsWith('/setup-console'))
      ? 'The setup wizard'
      : 'Another setup or apply';
}

/**
 * Takes the box's setup lock (`file`) for a setup or an apply. Held by another: exit 5, saying
 * what holds it (apply or the wizard, its pid) and what to do, for a script (`script`: wait and
 * run it again; the lock's file and how to see its holder) or for a console with no shell (the
 * other console, then try again; not "remove the lock file": a dead holder's is taken over).
 */
export async function takeSetupLock(file: string, script: boolean): Promise<() => Promise<void>> {
  try {
    return await acquireLock(file, 'setup');
  } catch (err) {
    if (!(err instanceof ConflictError && err.code === 'locked')) throw err;
    // Another process's pid as acquireLock read it (held in this process, the other console's
    // wizard here: its own words).
    const message =
      err instanceof LockHeldError
        ? `${await holderIs(err.holder)} is running (pid ${err.holder}): it holds the box`
        : err.message;
    throw new ConflictError(
      message,
      'locked',
      script
        ? `Nothing was written. Wait for it to finish, then run the same command again (exit 5: the box was busy, so a script may retry). The lock is ${file}: it holds its holder's pid (\`cat ${shellWord(file)}\`; \`ps -o args= -p PID\` says what runs); a holder that died leaves it to the next one.`
        : 'Nothing was written or encrypted here. Another setup (the other console, or a command) holds the box until it is applied or stopped; then try again: a box it set up meanwhile refuses this setup.',
    );
  }
}
