// One build of a folder at a time: `npm run build` and `npm start` (which runs it, then makes the
// demo) take a lock file beside what they write, so a second build, or a second `npm start`, waits
// for the first instead of writing the same dist/bundle, dist/blueprint or .demo under it (two
// builds at once: one's `rmSync(dist/bundle)` under the other's esbuild, a blob of the other's
// chunks). The lock is a file made exclusively ('wx') holding the taker's PID and its start time: a
// lock whose process is gone (killed: SIGKILL, a power cut) is stale and taken over, and so is one
// whose PID now names another process (reused after a reboot: builds waited for it forever).
// A PID means something only in its own PID namespace on its own host: the lock also says where it
// was taken (`place HOST pid:[NS]`), and one taken elsewhere (a container sharing dist/) is never
// judged stale here: it is waited for, and the wait says which file to remove if nothing runs there.
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** Where this process's PIDs mean something: its host and PID namespace, `HOST pid:[INODE]`. */
export function processPlace() {
  let ns = 'pid:?';
  try {
    ns = readlinkSync('/proc/self/ns/pid');
  } catch {}
  return `${hostname().replace(/\s/g, '_') || '?'} ${ns}`;
}

/** processPlace() as 8 hex digits, for a file name (scripts/build-arch.mjs's fetch folders). */
export const placeTag = (place = processPlace()) =>
  createHash('sha256').update(place).digest('hex').slice(0, 8);

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
 * Throws, naming the file to remove, when `file` is there but no lock file: a link (a dangling one
 * is there to 'wx' and absent to a read, and the loop went round without a wait, a build spinning a
 * CPU forever), a FIFO (its read waited for a writer forever), a folder. Takers only ever make a
 * regular file; a link is never followed (its target is neither read nor removed).
 */
function notALockFile(file) {
  const st = lstatSync(file); // ENOENT: released, as a read would find
  if (st.isFile()) return;
  const kind = st.isSymbolicLink()
    ? 'a symbolic link'
    : st.isFIFO()
      ? 'a FIFO'
      : st.isDirectory()
        ? 'a folder'
        : 'not a regular file';
  throw Object.assign(
    new Error(
      `${file} is not a lock file (${kind}): nothing a build makes there; remove it, then build again`,
    ),
    { code: 'ENOTLOCK' },
  );
}

/**
 * The lock file's text and its taker (PID and start time, the start absent in a lock of a build
 * before it was recorded or without /proc); `null` when there is no lock, `undefined` pid where it
 * has none (yet: its taker is writing it).
 */
function holder(file) {
  let text;
  try {
    notALockFile(file);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err.code === 'ENOTLOCK') throw err;
    return err.code === 'ENOENT' ? null : { text: undefined, pid: undefined };
  }
  const [, pid, start] = /^(\d+)(?: (\d+))?\n/.exec(text) ?? [];
  // No place line: a lock of a build before it was recorded, taken as this place's.
  const place = /\nplace (\S+ \S+)\n/.exec(text)?.[1];
  return { text, pid: pid && Number(pid) > 0 ? Number(pid) : undefined, start, place };
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
  const here = processPlace();
  const mine = `${process.pid}${started === undefined ? '' : ` ${started}`}\nplace ${here}\n`;
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
    } else if (held.place !== undefined && held.place !== here) {
      // Its PID is another namespace's or host's: whether it runs cannot be told from here.
      if (!told) {
        told = true;
        say(
          `${what} is running elsewhere (pid ${pid} on ${held.place}; here is ${here}), waiting… If nothing runs there, remove ${file}`,
        );
      }
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
    let held;
    try {
      held = holder(file);
    } catch {} // no lock file there any more: nothing of ours to remove
    if (held?.text === mine) rmSync(file, { force: true });
    process.off('exit', release);
  };
  process.on('exit', release);
  return release;
}

/**
 * takeLock's one look, synchronous, for work that may wait for a later run (modules/kit/native.ts's
 * sweep of old addon builds): the release, or `undefined` while another process holds `file` (a
 * live one here, one elsewhere, or one still writing its PID). A stale lock is taken over: its
 * taker dead, or no PID in it 5 s after it was made.
 */
export function tryLock(file) {
  const started = startOf(process.pid);
  const here = processPlace();
  const mine = `${process.pid}${started === undefined ? '' : ` ${started}`}\nplace ${here}\n`;
  for (let look = 0; look < 2; look++) {
    try {
      writeFileSync(file, mine, { flag: 'wx' });
      return () => {
        if (holder(file)?.text === mine) rmSync(file, { force: true });
      };
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    const held = holder(file);
    if (held === null) continue;
    if (held.pid === undefined) {
      // Made, its PID not yet written; one that never got it (its taker killed in between, or an
      // empty file put there) is stale after a while, as takeLock judges it: else no sweep ever ran
      // again (REVIEW17, test/security/addon-cache-lock).
      if (ageMs(file) > 5_000 && held.text !== undefined) breakStale(file, held.text);
      else return undefined;
      continue;
    }
    if ((held.place !== undefined && held.place !== here) || holding(held)) return undefined;
    breakStale(file, held.text);
  }
  return undefined;
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
