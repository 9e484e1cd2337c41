import { randomUUID } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { writeJsonAtomic } from '../system/fs.js';
import { acquireLock } from '../system/lock.js';
import { notYetThere, removeWhileEmpty } from '../system/made-folders.js';
import type { Layout } from '../system/paths.js';
import { alive } from '../system/process-alive.js';
import { selfStart, startedOtherwise } from '../system/process-start.js';
import { readStateText } from '../system/state-file.js';

/**
 * The room of the package cache promised to the model uploads (the dashboard's) and imports (the
 * CLI's and the dashboard's) in flight, one account for every process of the box. Each one's
 * free-space check saw the disk alone, so two at once each found the room for itself and together
 * could pass the reserve. Now a check counts the bytes promised to the others as taken: each
 * promises what its check asked for (its copy, the import's copies), less what it has written
 * since (on disk already, so in the free space asked), and gives it back when it ends.
 *
 * The account is var/lib/blueprint/model-room.json, changed under model-room.lock (lock.ts: a dead
 * holder's lock is taken over) and written whole by a rename (never half-written). Each entry
 * carries its process's pid, start time and boot and is counted only while that process lives (the
 * pid alive, and its start time and boot the same: a pid reused is not the holder): a killed
 * holder's room is given back at the next read, and dropped at the next write. An entry of this
 * pid that this process does not hold is an earlier process's of the same pid, dropped too.
 * Nothing else in the file is believed: a damaged file or entry counts as none.
 */

export interface Promised {
  /** `n` more bytes written: on disk now, no longer promised (said to the account at `save`). */
  wrote(n: number): void;
  /** `n` bytes about to be freed that a later step needs again: promised again (said at `save`, before they go). */
  need(n: number): void;
  /** The bytes still promised. */
  readonly bytes: number;
  /** This promise's entry in the account. */
  readonly id: string;
  /** The account told what is still promised (after `wrote`). */
  save(): Promise<void>;
  /** Given back (the import over and the upload discarded, or it aborted or was refused); a second call does nothing. */
  release(): Promise<void>;
}

interface Entry {
  id: string;
  pid: number;
  /**
   * The process's start time (/proc/PID/stat's 22nd field): a later process of the same pid is not
   * it. Empty where it names none (process-start.ts selfStart): judged by the pid alone.
   */
  start: string;
  /**
   * The boot's id (process-start.ts): the account is kept across a reboot, and the next boot may
   * give the pid to another process at the same start tick. None: an older version's (or no start).
   */
  boot?: string;
  bytes: number;
  /** The upload's file: its own import does not count this promise. */
  owner?: string;
}

const account = (paths: Layout) => path.join(paths.stateDir, 'model-room.json');
/** The promises of this process still held: its own entries of the account. */
const mine = new Map<string, Entry>();

const valid = (e: unknown): e is Entry => {
  const x = e as Entry;
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof x.id === 'string' &&
    Number.isSafeInteger(x.pid) &&
    x.pid > 0 &&
    typeof x.start === 'string' &&
    Number.isSafeInteger(x.bytes) &&
    x.bytes >= 0 &&
    (x.boot === undefined || (typeof x.boot === 'string' && /^[0-9a-f]{32}$/.test(x.boot))) &&
    (x.owner === undefined || typeof x.owner === 'string')
  );
};

/** The live entries of the account: of living processes, and of this one only those it holds. */
async function entries(paths: Layout): Promise<Entry[]> {
  const text = await readStateText(account(paths));
  let held: unknown;
  try {
    held = text === undefined ? [] : (JSON.parse(text) as { held?: unknown }).held;
  } catch {
    held = [];
  }
  if (!Array.isArray(held)) return [];
  return held
    .filter(valid)
    .filter((e) => (e.pid === process.pid ? mine.has(e.id) : living(e)))
    .map((e) => (e.pid === process.pid ? mine.get(e.id)! : e));
}

/**
 * Whether the process that wrote an entry lives: its pid, and its boot and start time where both it
 * and this process judge starts (process-start.ts: a writer or reader whose time namespace shifts
 * the boot time, or whose /proc does not say, names or judges none: the pid alone). An entry naming
 * no boot (an older version's) is judged by its pid and start time, as before.
 */
function living({ pid, start, boot }: Entry): boolean {
  if (!alive(pid)) return false;
  if (start === '') return true;
  const who = selfStart();
  if (who && boot !== undefined && boot !== who.boot) return false;
  return !startedOtherwise(pid, start);
}

const sum = (list: Entry[], except?: string) =>
  list.reduce(
    (n, e) => n + (except !== undefined && e.owner === except && e.pid === process.pid ? 0 : e.bytes),
    0,
  );

/**
 * The bytes promised to uploads and imports in flight on this box, but the one of this process's
 * upload file `except` (its import's check: that upload's promise covers it).
 */
export async function promisedIn(paths: Layout, except?: string): Promise<number> {
  return sum(await entries(paths), except);
}

/**
 * The upload files (`owner`) a living process of another pid holds room for: another dashboard's
 * uploads in flight. Its entry is written before its file is made and dropped after the file is
 * removed, so a file listed before this is read and not in it is no living process's.
 */
export async function uploadsHeldElsewhere(paths: Layout): Promise<Set<string>> {
  const list = await entries(paths);
  return new Set(list.flatMap((e) => (e.owner !== undefined && e.pid !== process.pid ? [e.owner] : [])));
}

/** The bytes this process's promises hold now, saved to the account or about to be (each `save`). */
export const heldHere = () => [...mine.values()].reduce((n, e) => n + e.bytes, 0);

/** Whether this process holds a promise for the upload file `owner`. */
export const heldFor = (owner: string) => [...mine.values()].some((e) => e.owner === owner);

/** The folders of a root's state this process made for the account (a new root): see `changed`. */
const madeHere = new Map<string, string[]>();

/**
 * The account changed under its lock: `change` is given the live entries, returns the new. An
 * empty account is no file, and on a new root the folders made for it go too (while empty), so a
 * refused import leaves nothing there (test/cli/model-import-refused).
 */
async function changed<T>(paths: Layout, change: (list: Entry[]) => Promise<{ list: Entry[]; value: T }>) {
  const fresh = notYetThere(paths.stateDir);
  if (fresh.length > 0 && !madeHere.has(paths.stateDir)) madeHere.set(paths.stateDir, fresh);
  let empty = true;
  const release = await acquireLock(path.join(paths.stateDir, 'model-room.lock'), 'model room', {
    waitMs: 30_000,
    mode: 0o600,
  });
  try {
    const { list, value } = await change(await entries(paths));
    empty = list.length === 0;
    if (empty) await unlink(account(paths)).catch(() => {});
    else await writeJsonAtomic(account(paths), { held: list }, 0o600);
    return value;
  } finally {
    await release();
    const made = madeHere.get(paths.stateDir);
    if (empty && made) {
      madeHere.delete(paths.stateDir);
      await removeWhileEmpty(made);
    }
  }
}

/**
 * Promises of the cache's room what `check` asked for: `check` is given the bytes promised to the
 * others and refuses, or returns the bytes it needs. Under the account's lock, so two checks (in
 * this process or another) never both count the same free bytes.
 */
export async function promise(
  paths: Layout,
  check: (promised: number) => Promise<number>,
  owner?: string,
): Promise<Promised> {
  const self = selfStart();
  const entry: Entry = {
    id: randomUUID(),
    pid: process.pid,
    start: self?.start ?? '',
    ...(self ? { boot: self.boot } : {}),
    bytes: 0,
    ...(owner ? { owner } : {}),
  };
  await changed(paths, async (list) => {
    entry.bytes = await check(sum(list));
    mine.set(entry.id, entry);
    return { list: [...list, entry], value: undefined };
  });
  const keep = (list: Entry[]) => ({ list, value: undefined });
  return {
    id: entry.id,
    wrote(n) {
      entry.bytes = Math.max(0, entry.bytes - n);
    },
    need(n) {
      entry.bytes += n;
    },
    get bytes() {
      return entry.bytes;
    },
    async save() {
      if (mine.has(entry.id)) await changed(paths, async (list) => keep(list));
    },
    async release() {
      if (!mine.delete(entry.id)) return;
      // Not written (a full disk): dropped here all the same, and by this process's next write;
      // other processes count it until then, or until this one ends.
      await changed(paths, async (list) => keep(list.filter((e) => e.id !== entry.id))).catch(() => {});
    },
  };
}
