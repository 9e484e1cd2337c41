/**
 * The admin purged a consumer (`bpkg remove --purge rag`): blueprint, as root, writes a record
 * `purge.CONSUMER` into this provider's data folder (the folder BLUEPRINT_PURGE_DIR names), one line
 * `CONSUMER BEFORE`, BEFORE the time of the purge in milliseconds since the epoch. A provider that
 * opted in (manifest `socket.consumerPurge`; docs/module-wiring.md, "A consumer's data, purged")
 * deletes what that consumer made before BEFORE, then removes the record: at its start, before it
 * serves anything, and while it runs when blueprint sends it SIGUSR2. Keyed by the time, a record
 * applied late never matches what a consumer of that name installed again made after the purge.
 *
 * The records are in this module's own folder: each is read without following a link, only a
 * regular file of at most MAX_BYTES; a record that is not one line naming the consumer of its file
 * name is logged and left, and nothing is deleted for it.
 */
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  unlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { MODULE_NAME } from './clients.js';
import type { KitLog } from './log.js';

/** Where blueprint tells a provider its purge records are (set in the container's environment). */
export const PURGE_DIR_ENV = 'BLUEPRINT_PURGE_DIR';
export const PURGE_PREFIX = 'purge.';
const MAX_BYTES = 256;
/** `CONSUMER TIME`, CONSUMER a module's name (./clients.ts MODULE_NAME, its anchors taken off). */
const LINE = new RegExp(`^(${MODULE_NAME.source.slice(1, -1)}) ([0-9]{1,16})\\n?$`);

export interface PurgeRecord {
  /** The record's file, in the folder. */
  file: string;
  /** The consumer whose data goes. */
  consumer: string;
  /** What it made before this time (ms since the epoch) goes; later data is a newer install's. */
  before: number;
  /** The record's text, to tell it from one written over it meanwhile. */
  text: string;
}

/** The record's text, or why it is no record (never following a link, never opening a FIFO). */
function readRecord(path: string): { text: string } | { why: string } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    return { why: `cannot be opened (${(err as NodeJS.ErrnoException).code})` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { why: 'is not a regular file' };
    if (st.size > MAX_BYTES) return { why: `is over ${MAX_BYTES} bytes` };
    const buf = Buffer.alloc(MAX_BYTES + 1);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return { text: buf.subarray(0, n).toString('utf8') };
  } finally {
    closeSync(fd);
  }
}

/** Parses one record's text for its file name: the record, or why it is none. */
export function parsePurgeRecord(file: string, text: string): PurgeRecord | { why: string } {
  const named = file.slice(PURGE_PREFIX.length);
  if (!file.startsWith(PURGE_PREFIX) || !MODULE_NAME.test(named))
    return { why: 'its name is not purge.CONSUMER' };
  const m = LINE.exec(text);
  if (!m) return { why: 'is not one line "CONSUMER TIME"' };
  if (m[1] !== named) return { why: `names ${m[1]}, not ${named} of its file name` };
  const before = Number(m[2]);
  if (!Number.isSafeInteger(before)) return { why: 'its time is out of range' };
  return { file, consumer: named, before, text };
}

/** The purge records in `dir` (none when it is unset or not there); a bad one is logged and left. */
export function readPurgeRecords(dir: string | undefined, log: KitLog): PurgeRecord[] {
  if (!dir) return [];
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(PURGE_PREFIX));
  } catch {
    return [];
  }
  const out: PurgeRecord[] = [];
  for (const name of names.sort()) {
    const read = readRecord(join(dir, name));
    const r = 'why' in read ? read : parsePurgeRecord(name, read.text);
    if ('why' in r) log(`purge record ${JSON.stringify(name)} ignored, nothing deleted for it: it ${r.why}`);
    else out.push(r);
  }
  return out;
}

/**
 * Applies every record in `dir`: `purge(consumer, before)` deletes that consumer's data, then the
 * record is removed (unless blueprint wrote a newer one over it meanwhile: that one is applied next
 * time). A purge that throws leaves its record, logged, for the next start or signal.
 */
export async function applyPurgeRecords(
  dir: string | undefined,
  log: KitLog,
  purge: (consumer: string, before: number) => Promise<unknown>,
): Promise<void> {
  for (const r of readPurgeRecords(dir, log)) {
    try {
      await purge(r.consumer, r.before);
    } catch (err) {
      log(
        `purge of ${r.consumer}'s data failed, its record kept for the next try: ${(err as Error).message}`,
      );
      continue;
    }
    const path = join(dir!, r.file);
    let now: string | undefined;
    try {
      now = readFileSync(path, { encoding: 'utf8', flag: constants.O_RDONLY | constants.O_NOFOLLOW });
    } catch {
      now = undefined;
    }
    if (now === r.text) unlinkSync(path);
  }
}

/**
 * Runs `apply` at each SIGUSR2 (blueprint's "a purge record is there now"), one run at a time; a
 * signal during a run makes one more run after it.
 */
export function onPurgeSignal(apply: () => Promise<void>, log: KitLog): void {
  let running: Promise<void> | undefined;
  let again = false;
  const run = () => {
    if (running) {
      again = true;
      return;
    }
    running = apply()
      .catch((err: Error) => log(`purge failed: ${err.message}`))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          run();
        }
      });
  };
  process.on('SIGUSR2', run);
}
