/**
 * The room promised to the model uploads in flight in this process (the dashboard's), per package
 * cache. Each upload's free-space check saw the disk alone, so uploads sent at once each found the
 * room for itself and together could pass the reserve. Now a check counts the bytes promised to
 * the others as taken: an upload promises what its check asked for (its copy, the import's copies),
 * less what it has written since (on disk already, so in the free space asked), and gives it back
 * when it ends, however it ends.
 */

export interface Promised {
  /** `n` more bytes written: on disk now, no longer promised. */
  wrote(n: number): void;
  /** The bytes still promised to this upload. */
  readonly bytes: number;
  /**
   * The upload's file, once named: its import's own space check does not count this promise
   * (promisedIn's `except`), which is kept until the upload is discarded, the import's end.
   */
  owner?: string;
  /** Given back (the import over and the upload discarded, or it aborted or was refused); a second call does nothing. */
  release(): void;
}

const room = new Map<string, Set<{ bytes: number; owner?: string }>>();

/** The bytes promised to uploads in flight into `cacheDir`, but the one of the upload file `except`. */
export function promisedIn(cacheDir: string, except?: string): number {
  let sum = 0;
  for (const p of room.get(cacheDir) ?? []) if (except === undefined || p.owner !== except) sum += p.bytes;
  return sum;
}

/**
 * Promises `bytes` of `cacheDir` to an upload. Called in the same turn as the check that found the
 * room (no await between), so two checks cannot both count the same bytes.
 */
export function promise(cacheDir: string, bytes: number): Promised {
  const entry: { bytes: number; owner?: string } = { bytes };
  const set = room.get(cacheDir) ?? new Set();
  room.set(cacheDir, set.add(entry));
  return {
    wrote(n) {
      entry.bytes = Math.max(0, entry.bytes - n);
    },
    get bytes() {
      return entry.bytes;
    },
    get owner() {
      return entry.owner;
    },
    set owner(file) {
      entry.owner = file;
    },
    release() {
      set.delete(entry);
      if (set.size === 0 && room.get(cacheDir) === set) room.delete(cacheDir);
    },
  };
}
