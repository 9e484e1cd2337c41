// One build of a folder at a time: `npm run build` and `npm start` (which runs it, then makes the
// demo) take a lock file beside what they write, so a second build, or a second `npm start`, waits
// for the first instead of writing the same dist/bundle, dist/blueprint or .demo under it (two
// builds at once: one's `rmSync(dist/bundle)` under the other's esbuild, a blob of the other's
// chunks). The lock is a file made exclusively ('wx') holding the taker's PID: a lock whose process
// is gone (killed: SIGKILL, a power cut) is stale and taken over.
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM'; // another user's process: there
  }
};

/** The PID in the lock file, `undefined` where it has none (yet: its taker is writing it). */
function holder(file) {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (err) {
    return err.code === 'ENOENT' ? null : undefined;
  }
}

/**
 * Takes the lock `file`, waiting while another live process holds it; says once that it waits
 * (`say`, with `what`: "another build is running (pid N), waiting…"); `whileWaiting` is awaited
 * between looks (the demo ends there on Ctrl-C, its signal handlers keeping it alive). Returns the
 * release, also run when this process exits; a signal that kills the process outright leaves a
 * stale lock, which the next taker takes over.
 */
export async function takeLock(
  file,
  { what = 'another build', say = (s) => console.error(s), whileWaiting = async () => {} } = {},
) {
  let told = false;
  for (;;) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    const pid = holder(file);
    if (pid === null) continue; // released between the two looks
    if (pid === undefined) {
      // Made, its PID not yet written; one that never got it (its taker killed in between) is stale
      // after a while.
      if (ageMs(file) > 5_000) breakStale(file, undefined);
    } else if (!alive(pid)) {
      breakStale(file, pid);
      continue;
    } else if (!told) {
      told = true;
      say(`${what} is running (pid ${pid}), waiting…`);
    }
    await new Promise((r) => setTimeout(r, 200));
    await whileWaiting();
  }
  const release = () => {
    if (holder(file) === process.pid) rmSync(file, { force: true });
    process.off('exit', release);
  };
  process.on('exit', release);
  return release;
}

function ageMs(file) {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Removes the stale lock `file` (held by the dead `pid`). Two waiters may find it stale at once, and
 * the first may have taken a new lock by the time the second removes "the stale one": removing it
 * takes a second lock (FILE.break, made exclusively, itself stale after 10 s) and looks again.
 */
function breakStale(file, pid) {
  const breaker = `${file}.break`;
  try {
    writeFileSync(breaker, `${process.pid}\n`, { flag: 'wx' });
  } catch {
    if (ageMs(breaker) > 10_000) rmSync(breaker, { force: true });
    return;
  }
  try {
    if (holder(file) === pid) rmSync(file, { force: true });
  } finally {
    rmSync(breaker, { force: true });
  }
}
