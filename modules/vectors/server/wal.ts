/**
 * The write-ahead log's records: u32 length, u32 CRC-32 of the body, body (JSON). A record that is
 * short or fails its CRC ends the log: it is the torn tail of a write that was never acknowledged.
 * Appends share fdatasyncs (group commit).
 */
import { readFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { POINTS_HEAD, type PointsJson } from './offload.js';
import { u32 } from './persist.js';

export function walRecord(op: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(op));
  return Buffer.concat([u32(body.length), u32(crc32(body)), body]);
}

/**
 * The record of an upsert whose points' JSON (and its CRC) a worker already wrote: the same JSON
 * object as walRecord's, its keys in another order, in parts so that 32 MiB is not copied again.
 */
export function walUpsertRecord(c: string, seq: number, w: PointsJson): Buffer[] {
  const tail = Buffer.from(`,"t":"upsert","c":${JSON.stringify(c)},"seq":${seq}}`);
  const json = Buffer.from(w.json.buffer, w.json.byteOffset, w.json.byteLength);
  const length = POINTS_HEAD.length + json.length + tail.length;
  return [u32(length), u32(crc32(tail, w.crc)), POINTS_HEAD, json, tail];
}

/**
 * The records of a log file, each parsed (`undefined` for one whose CRC holds but whose JSON does
 * not parse: not a torn write, so not cut off; the caller sets it aside) and its body as it is in
 * the file, and the length of its valid prefix (a torn tail is cut off).
 */
export function readWal(path: string): {
  ops: unknown[];
  bodies: Buffer[];
  validBytes: number;
  torn: boolean;
} {
  const buf = readFileSync(path);
  const ops: unknown[] = [];
  const bodies: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const len = buf.readUInt32LE(at);
    const end = at + 8 + len;
    if (end > buf.length) break;
    const body = buf.subarray(at + 8, end);
    if (crc32(body) !== buf.readUInt32LE(at + 4)) break;
    let op: unknown;
    try {
      op = JSON.parse(body.toString('utf8'));
    } catch {}
    ops.push(op);
    bodies.push(body);
    at = end;
  }
  return { ops, bodies, validBytes: at, torn: at !== buf.length };
}

/**
 * writev until every byte is written: a disk that fills takes part of a write and answers with the
 * count (no error), and only the next write fails (ENOSPC). One short write taken as the whole
 * would acknowledge records that are not on disk.
 */
async function writeAll(fh: FileHandle, bufs: Buffer[]): Promise<void> {
  let left = bufs;
  while (left.length > 0) {
    let { bytesWritten } = await fh.writev(left);
    if (bytesWritten === 0) throw Object.assign(new Error('the log file took no bytes'), { code: 'EIO' });
    while (left.length > 0 && bytesWritten >= left[0]!.length) {
      bytesWritten -= left[0]!.length;
      left = left.slice(1);
    }
    if (bytesWritten > 0) left = [left[0]!.subarray(bytesWritten), ...left.slice(1)];
  }
}

/**
 * A store's logs fail together: once a write failed (a full disk), no later write is taken, in its
 * file or the next one a rotation opens, until the service restarts. The change that failed was
 * applied in memory before its record was written (store.ts): only a start from the log drops it.
 */
export interface LogHealth {
  failed?: Error;
}

/**
 * Appends records with group commit: every append waits for one fdatasync that covers it, and
 * appends that arrive while a sync runs share the next one.
 */
export class WalWriter {
  readonly fh: FileHandle;
  bytes = 0;
  /** What the file holds that was written and synced: where a failed write's bytes are cut. */
  private synced: number;
  private pending: Buffer[] = [];
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private flushing = false;
  private readonly health: LogHealth;

  constructor(fh: FileHandle, bytes: number, health: LogHealth = {}) {
    this.fh = fh;
    this.bytes = bytes;
    this.synced = bytes;
    this.health = health;
  }

  get failed(): Error | undefined {
    return this.health.failed;
  }

  append(record: Buffer | Buffer[]): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    for (const b of Array.isArray(record) ? record : [record]) {
      this.pending.push(b);
      this.bytes += b.length;
    }
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.flushing) void this.flush();
    return p;
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.pending.length > 0) {
      const bufs = this.pending;
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      try {
        await writeAll(this.fh, bufs);
        await this.fh.datasync();
        this.synced += bufs.reduce((n, b) => n + b.length, 0);
        // Another file of the store failed meanwhile: nothing after that failure is acknowledged.
        if (this.health.failed) throw this.health.failed;
        for (const w of waiters) w.resolve();
      } catch (err) {
        this.health.failed ??= err as Error;
        // A write that failed may be partly on disk: cut back to the last synced record, so that
        // the file ends whole (a rotation may have opened a newer file: a torn record before the
        // last file would stop the next start). A full disk still lets a file shrink.
        await this.fh
          .truncate(this.synced)
          .then(() => this.fh.datasync())
          .catch(() => {});
        for (const w of [...waiters, ...this.waiters]) w.reject(this.health.failed);
        this.waiters = [];
        this.pending = [];
      }
    }
    this.flushing = false;
  }

  /** Resolves when everything appended so far is on disk. */
  async idle(): Promise<void> {
    while (this.flushing) await new Promise((r) => setTimeout(r, 2));
  }
}
