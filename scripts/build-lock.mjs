// One build of a folder at a time: `npm run build` and `npm start` (which runs it, then makes the
// demo) take a lock file beside what they write, so a second build, or a second `npm start`, waits
// for the first instead of writing the same dist/bundle, dist/blueprint or .demo under it (two
// builds at once: one's `rmSync(dist/bundle)` under the other's esbuild, a blob of the other's
// chunks). The lock is a file made exclusively ('wx') holding the taker's PID and its start time: a
// lock whose process is gone (killed: SIGKILL, a power cut) is stale and taken over, and so is one
// whose PID now names another process (reused after a reboot: builds waited for it forever).
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM'; // another user's process: there
  }
};

/**
 * When process `pid` started, in clock ticks since boot (/proc/PID/stat's 22nd field, read after the
 * name's last ')': a name may hold spaces and parentheses); `undefined` without /proc (not Linux).
 * With the PID it names one process: a PID reused by another process comes with another start.
 */
function startOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * The lock file's text and its taker (PID and start time, the start absent in a lock of a build
 * before it was recorded or without /proc); `null` when there is no lock, `undefined` pid where it
 * has none (yet: its taker is writing it).
 */
function holder(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return err.code === 'ENOENT' ? null : { text: undefined, pid: undefined };
  }
  const [, pid, start] = /^(\d+)(?: (\d+))?\n/.exec(text) ?? [];
  return { text, pid: pid && Number(pid) > 0 ? Number(pid) : undefined, start };
}

/** Is the lock's taker running: its PID alive and, where the lock and /proc tell, started when it did. */
const holding = ({ pid, start }) => {
  if (!alive(pid)) return false;
  const now = start === undefined ? undefined : startOf(pid);
  return now === undefined || now === start;
};

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
  const started = startOf(process.pid);
  const mine = `${process.pid}${started === undefined ? '' : ` ${started}`}\n`;
  for (;;) {
    try {
      writeFileSync(file, mine, { flag: 'wx' });
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    const held = holder(file);
    if (held === null) continue; // released between the two looks
    const { pid } = held;
    if (pid === undefined) {
      // Made, its PID not yet written; one that never got it (its taker killed in between) is stale
      // after a while.
      if (ageMs(file) > 5_000 && held.text !== undefined) breakStale(file, held.text);
    } else if (!holding(held)) {
      breakStale(file, held.text);
      continue;
    } else if (!told) {
      told = true;
      say(`${what} is running (pid ${pid}), waiting…`);
    }
    await new Promise((r) => setTimeout(r, 200));
    await whileWaiting();
  }
  const release = () => {
    if (holder(file)?.text === mine) rmSync(file, { force: true });
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
 * Removes the stale lock `file` (whose text was `text`: a dead taker's). Two waiters may find it stale at once, and
 * the first may have taken a new lock by the time the second removes "the stale one": removing it
 * takes a second lock (FILE.break, made exclusively, itself stale after 10 s) and looks again.
 */
function breakStale(file, text) {
  const breaker = `${file}.break`;
  try {
    writeFileSync(breaker, `${process.pid}\n`, { flag: 'wx' });
  } catch {
    if (ageMs(breaker) > 10_000) rmSync(breaker, { force: true });
    return;
  }
  try {
    if (holder(file)?.text === text) rmSync(file, { force: true });
  } finally {
    rmSync(breaker, { force: true });
  }
}
