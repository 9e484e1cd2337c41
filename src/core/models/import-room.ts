/**
 * An import's share of the model room (upload-room.ts: the account of the cache's room promised to
 * the uploads and imports in flight), kept so that each of its bytes counts once: on disk, or
 * promised, not both. An import's promise is its own (the CLI's, `reserveImportSpace`) or the
 * promise of the upload it imports, handed over (borrowed: that upload gives it back when it is
 * discarded); an upload's own import once added nothing but did not lower the upload's promise
 * either, so its copy and package were counted on disk and again in the promise. Each step's bytes
 * lower it once they are on disk (`roomSteps`, `installSteps`), and the bytes an import
 * frees that a later step needs are promised again before they go (`stillNeeded`): at every moment
 * its bytes on disk and its promise add up to what its check asked for.
 * test/llm/model-room-once, test/llm/model-import-room, test/llm/model-room-install.
 */
import type { Layout } from '../system/paths.js';
import { type Promised, promise } from './upload-room.js';

/** Each live import's promise, by its work folder. */
const rooms = new Map<string, Promised>();
/** The imports whose promise is an upload's. */
const borrowed = new Set<string>();
/** What each import has lowered its promise by (its bytes on disk): an upload's, given back at its end. */
const lowered = new Map<string, number>();
/** The promises of this process's uploads in flight, by upload file: what their imports take over. */
const uploads = new Map<string, Promised>();
/** Between two savings of a promise as a large file is written (its last bytes saved at the step's end). */
const RESAVE = 64 * 1024 ** 2;

/**
 * Promises what `check` asked for (upload-room.ts `promise`); an upload's (`owner`, its file) is
 * kept for its import to take over until the upload gives it back.
 */
export async function reserveRoom(
  paths: Layout,
  check: (promised: number) => Promise<number>,
  owner?: string,
): Promise<Promised> {
  const room = await promise(paths, check, owner);
  if (owner === undefined) return room;
  uploads.set(owner, room);
  return {
    id: room.id,
    wrote: (n) => room.wrote(n),
    need: (n) => room.need(n),
    get bytes() {
      return room.bytes;
    },
    save: () => room.save(),
    async release() {
      if (uploads.get(owner) === room) uploads.delete(owner);
      await room.release();
    },
  };
}

/** The promise of this process's upload of `file`, while it is kept. */
export const uploadRoom = (file: string): Promised | undefined => uploads.get(file);

/** The import in `work` holds `room`: its own, or an upload's (`borrowedFromUpload`). */
export function holdRoom(work: string, room: Promised, borrowedFromUpload: boolean): void {
  rooms.set(work, room);
  if (borrowedFromUpload) borrowed.add(work);
}

/** `n` more bytes of the import in `work` on disk: no longer promised, and the account told so. */
async function onDisk(work: string, n: number): Promise<void> {
  const room = rooms.get(work);
  if (!room || n <= 0) return;
  // What it was lowered by: never below nothing (the unpacked files on another disk than the cache
  // were never promised), so a failed import promises again only what it took off.
  const before = room.bytes;
  room.wrote(n);
  lowered.set(work, (lowered.get(work) ?? 0) + before - room.bytes);
  await room.save();
}

/** `n` bytes the import in `work` is about to free, which a later step needs: promised again first. */
export async function stillNeeded(work: string, n: number): Promise<void> {
  const room = rooms.get(work);
  if (!room) return;
  room.need(n);
  lowered.set(work, (lowered.get(work) ?? 0) - n);
  await room.save();
}

/**
 * A step of the import in `work` writing up to `limit` bytes the check asked for: `written(at)`
 * as it goes (`at` bytes on disk; the account told every RESAVE bytes, without waiting), `end()`
 * once it is written. A save not made leaves the promise higher a while: others refuse early.
 */
export function roomSteps(work: string, limit: number) {
  let told = 0;
  return {
    written(at: number) {
      const n = Math.min(at, limit) - told;
      if (n < RESAVE) return;
      told += n;
      onDisk(work, n).catch(() => {});
    },
    /** The rest, once (a step's end seen twice lowers nothing more). */
    end() {
      const n = limit - told;
      told = limit;
      return onDisk(work, n);
    },
  };
}

/**
 * The install of the import's package, `bytes` for each of its two copies (the package manager's
 * copy of the package in the cache; its files unpacked from that copy): each lowers the promise as
 * its bytes land (the package manager's WrittenEvent), and the rest at the step's end (the install
 * reaching the unpacking, then its `prepare`). Lowered at the ends alone, a copy was counted on
 * disk and promised until its step ended: up to the model's size twice while it was written (for
 * minutes with a large model on a slow disk), and another import refused for room that was there.
 * Before 9daa394e the unpacked files were never lowered at all. With the installed files on
 * another disk than the cache's they were never promised: nothing is left to lower. None waits
 * (the account is saved behind); unsaved, the promise stays higher and others refuse early.
 */
export function installSteps(work: string, bytes: number) {
  const copy = roomSteps(work, bytes);
  const unpack = roomSteps(work, bytes);
  const quietly = (p: Promise<void>) => p.catch(() => {});
  return {
    copyWritten: (at: number) => copy.written(at),
    /** The unpacking began: it reads the whole copy, so the copy is on disk. */
    copied: () => quietly(copy.end()),
    unpackWritten: (at: number) => unpack.written(at),
    /** The package is prepared next: its files are on disk. */
    unpacked: () => quietly(unpack.end()),
  };
}

/**
 * The import in `work` ended: its own promise given back; an upload's covers the import's copies
 * again after a failure (the copies removed; the upload may be imported again), and is left to
 * the upload to give back.
 */
export async function endRoom(work: string, failed: boolean): Promise<void> {
  const room = rooms.get(work);
  if (!borrowed.delete(work)) await room?.release();
  else if (room && failed) {
    room.need(lowered.get(work) ?? 0);
    await room.save().catch(() => {});
  }
  rooms.delete(work);
  lowered.delete(work);
}
