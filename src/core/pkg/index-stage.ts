import path from 'node:path';
import { storageErrorFrom } from '../errors.js';
import { trackTemp } from '../system/exit-cleanup.js';
import { ensureDir, removeDeadTemps, syncDir } from '../system/fs.js';

/**
 * A served index kept the way writeFileAtomic keeps a file (a new temporary sibling, written and
 * synced, renamed over the name, the folder synced), split in two: the temporary files are
 * written and their syncs started as soon as the bytes are read, on the thread pool, while the
 * signature is checked and the index judged on the main thread; the renames come only once the
 * index is accepted (issue 20: a box's first update waited for index.json's 2.6 MB write and sync
 * after every check). A temporary file is never read by anything: until the rename, the kept pair
 * is the old one whatever happens.
 */

const fsp = () => process.getBuiltinModule('node:fs').promises;

/** One file's temporary sibling, written and synced (or the error doing so, kept for `commit`). */
class Temp {
  private file?: string;
  private untrack = () => {};
  readonly ready: Promise<void>;
  private failure?: unknown;

  constructor(
    private readonly target: string,
    data: Uint8Array,
    folder: Promise<void>,
  ) {
    this.ready = folder
      .then(() => this.write(data))
      .catch((err) => {
        this.failure = err;
      });
  }

  private async write(data: Uint8Array): Promise<void> {
    const dir = path.dirname(this.target);
    const base = path.basename(this.target);
    const { O_WRONLY, O_CREAT, O_EXCL, O_SYNC } = process.getBuiltinModule('node:fs').constants;
    let fh: import('node:fs/promises').FileHandle | undefined;
    // Made new (O_EXCL, never following a link at the name); a name taken is left alone.
    for (let attempt = 0; !fh; attempt++) {
      const name = path.join(
        dir,
        `.${base}.${process.pid}.${attempt ? Math.random().toString(36).slice(2) : Date.now()}.tmp`,
      );
      try {
        // O_SYNC: each write returns once its bytes and the file's metadata are on the disk, as a
        // write then fsync would, but in one request to the thread pool. Each request's end waits
        // for this thread, busy checking the index: a write in 512 KiB pieces then an fsync, as
        // writeFile does, had written one piece by the end of the checks.
        fh = await fsp().open(name, O_WRONLY | O_CREAT | O_EXCL | O_SYNC, 0o644);
        this.file = name;
        // Removed if the process is ended part-way (Ctrl-C): no catch runs then.
        this.untrack = trackTemp(name);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 8) throw err;
      }
    }
    try {
      for (let at = 0; at < data.byteLength; )
        at += (await fh.write(data, at, data.byteLength - at)).bytesWritten;
    } finally {
      await fh.close();
    }
  }

  /** Renamed over its name, once written and synced, and the folder synced (the rename is durable). */
  async commit(): Promise<void> {
    await this.ready;
    try {
      if (this.failure !== undefined) throw this.failure;
      await fsp().rename(this.file!, this.target);
      this.file = undefined;
      this.untrack();
      await syncDir(path.dirname(this.target));
    } catch (err) {
      await this.discard();
      throw storageErrorFrom(err, `writing ${this.target}`);
    }
  }

  /** Removed, once its write is over (never a file it found at a taken name). */
  async discard(): Promise<void> {
    await this.ready;
    if (this.file === undefined) return;
    await fsp()
      .rm(this.file, { force: true })
      .catch(() => {});
    this.file = undefined;
    this.untrack();
  }
}

/** A served index and its signature on their way into the repository's folder `dir`. */
export interface StagedIndex {
  /**
   * The signature as it comes, before it is checked: written beside the index meanwhile. A second
   * one (the by-hash signature after the .asc failed) replaces it; the first is removed at finish.
   */
  signature(sig: Uint8Array): void;
  /**
   * Both renamed, the signature first, the folder synced after each: a crash leaves the old pair,
   * the new pair, or the new signature beside the old index, which the next update replaces (it
   * sees a changed index). Never the new index beside the old signature: an update finding the
   * index unchanged does not write the signature again.
   */
  commit(): Promise<void>;
}

/**
 * The indexes staged for one repository's update (one per URL that served a new one). `finish`
 * removes every temporary file not committed, and the repository's folder when this update made
 * it and left nothing in it (a first update refused leaves no folder, as before).
 */
export class IndexStager {
  private readonly temps: Temp[] = [];
  private readonly folder: Promise<void>;
  private madeFolder = false;
  private readonly swept: Promise<void>;

  /**
   * The folder made (and synced into its parent) from the start, beside the fetch: a first
   * update's index must not wait for it, nor for the thread's turns it takes.
   */
  constructor(private readonly dir: string) {
    this.folder = fsp()
      .access(dir)
      .catch(() => {
        this.madeFolder = true;
      })
      .then(() => ensureDir(dir));
    this.swept = this.folder.then(() => (this.madeFolder ? undefined : this.sweep())).catch(() => {});
  }

  /**
   * The temporary files an update whose process is gone left in this folder (killed, a power cut:
   * no clean-up ran), removed: the staged index and signature (`.index.json.PID.STAMP.tmp`, 2.6 MB
   * each for a 10,000-package index, staged for the length of the checks) and the sealed caches'
   * (`.verified.json.PID.tmp`, as large). Never one of a live process (its pid answers), nor of this
   * one; a pid reused since only keeps a file until a later update. The folder is root's and holds
   * only the update's files.
   */
  private sweep(): Promise<void> {
    return removeDeadTemps(this.dir);
  }

  stage(bytes: Uint8Array): StagedIndex {
    const folder = this.folder;
    const index = this.add(new Temp(path.join(this.dir, 'index.json'), bytes, folder));
    let sig: Temp | undefined;
    return {
      signature: (s) => {
        sig = this.add(new Temp(path.join(this.dir, 'index.json.asc'), s, folder));
      },
      commit: async () => {
        if (!sig) throw new Error('staged index committed without its signature');
        await Promise.all([sig.ready, index.ready]);
        await sig.commit();
        await index.commit();
      },
    };
  }

  private add(t: Temp): Temp {
    this.temps.push(t);
    return t;
  }

  async finish(): Promise<void> {
    await Promise.all([this.swept, ...this.temps.map((t) => t.discard())]);
    if (!this.madeFolder) return;
    await this.folder.catch(() => {});
    // Only while empty: rmdir refuses a folder with anything in it (a committed pair).
    await fsp()
      .rmdir(this.dir)
      .catch(() => {});
  }
}
