/**
 * The database: collections in memory, made durable by a write-ahead log in the data folder.
 * A change is validated, applied in memory in log order, appended to the log, and answered only
 * after the fdatasync that covers it (group commit). Checkpoints write every collection and its
 * HNSW graph to checkpoint/ (off the event loop, see checkpoint()), then the manifest (tmp + fsync +
 * rename), then drop the old logs; at open the newest manifest is loaded and the logs after it
 * replayed, a torn tail cut off, a record that throws when applied set aside (quarantine.ts).
 * The checkpoint folder's files themselves (manifest, load, cleanup) are checkpoint-files.ts; a
 * change applied in memory (all or nothing, a large upsert in slices) is apply-change.ts; what a
 * start reads back (the checkpoint, then the logs replayed) is store-open.ts.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { diskFull, HttpError, isDiskFull, type KitLog } from '../../kit/server/index.js';
import { applyInSlices, applyOrLog, type Changes, needsSlices } from './apply-change.js';
import { captureOne, copyAll, type Fenced, fenceAll } from './capture.js';
import { dropUnnamed, newCheckpointState, writeCollections, writeManifest } from './checkpoint-files.js';
import type { Collection } from './collection.js';
import { graphsReady } from './graph.js';
import type { PointsJson } from './offload.js';
import type { Op } from './ops.js';
import { type CollectionImage, fsyncPath } from './persist.js';
import { Problems } from './problems.js';
import type { Quarantined } from './quarantine.js';
import { openState } from './store-open.js';
import { type LogHealth, WalWriter, walRecord, walUpsertRecord } from './wal.js';
import { WriteGate } from './write-gate.js';

/** A checkpoint's or snapshot's copy of the collections: this long per turn (persist.ts captureInSlices). */
const CAPTURE_SLICE_MS = 20;
const hex = (s: string) => Buffer.from(s).toString('hex');

/**
 * The log could not be written: every later write is refused (wal.ts: a failed write may be partly
 * on disk, which the next start cuts). A full disk says so, with what to do (507).
 */
function logFailed(err: Error): HttpError {
  const restart =
    'then restart the service (`blueprint service restart vectors`): every acknowledged write is kept';
  if (isDiskFull(err)) return diskFull(err, restart);
  return new HttpError(
    503,
    `Service internal error: the write-ahead log failed (${err.message}); restart the service`,
  );
}

export class Store implements Changes {
  readonly dir: string;
  readonly collections = new Map<string, Collection>();
  seq = 0;
  private wal!: WalWriter;
  private walFiles: string[] = [];
  /** Shared by every log file this run opens: a failed write stops them all (wal.ts). */
  private readonly logHealth: LogHealth = {};
  private checkpointing: Promise<void> | undefined;
  /** The last operation applied in memory; below seq while a large upsert is applied in slices. */
  private applied = 0;
  private applying: Promise<unknown> = Promise.resolve();
  /** A restore operation → the collection its request built (and so checked) before logging it. */
  readonly prebuilt = new Map<Op, Collection>();
  /** Records set aside at start, changes that threw while applied (problems.ts). */
  readonly problems = new Problems();
  /** Held while a capture copies collections in slices: commits wait for it (quiesce()). */
  private readonly gate = new WriteGate();
  /** The operation the manifest on disk is at. */
  private checkpointed = 0;
  readonly log: KitLog;
  checkpointBytes = 64 * 1024 * 1024;
  crashAt: string | undefined;
  /**
   * How long a capture copies before it yields (CAPTURE_SLICE_MS). Tests only set it shorter: how
   * long a 1M-point capture lasts depends on the machine (80-100 ms here, a few slices), and a test
   * that watches requests answered between slices needs many of them on any machine.
   */
  captureSliceMs = CAPTURE_SLICE_MS;
  /** Tests only: awaited between slices of a copy's vectors (a copy as slow as 1M points' is). */
  copyPause: (() => Promise<unknown>) | undefined;
  /** Tests only: awaited while the graphs are held, to make that window long enough to watch. */
  graphPause: (() => Promise<void>) | undefined;
  /** What checkpoints do (GET /telemetry; the tests watch the phase). */
  readonly checkpointState = newCheckpointState();

  private constructor(dir: string, log: KitLog) {
    this.dir = dir;
    this.log = log;
  }

  static async open(dir: string, log: KitLog): Promise<Store> {
    const s = new Store(dir, log);
    for (const d of ['wal', 'checkpoint', 'snapshots'])
      mkdirSync(join(dir, d), { recursive: true, mode: 0o700 });
    await s.load();
    return s;
  }

  private async load(): Promise<void> {
    const opened = await openState(this);
    this.seq = opened.seq;
    this.checkpointed = opened.checkpointed;
    this.walFiles = opened.files;
    this.applied = this.seq;
    await this.rotate();
    // Past what was set aside at once: the next start does not meet it again (a file the admin
    // removed stays removed).
    if (opened.setAside > 0) await this.checkpoint();
  }

  /** What a collection's info reports as failed (problems.ts). */
  problemsOf(collection: string): string[] {
    return this.problems.of(collection);
  }

  /** Records set aside, for a collection or all of them. */
  quarantineOf(collection?: string): Quarantined[] {
    return this.problems.quarantine(collection);
  }

  /** A new log file for operations after this.seq. */
  private async rotate(): Promise<void> {
    const name = `${String(this.seq + 1).padStart(16, '0')}.log`;
    const path = join(this.dir, 'wal', name);
    const fh = await open(path, 'a', 0o600);
    const size = (await fh.stat()).size;
    fsyncPath(join(this.dir, 'wal')); // the new file's name is durable too
    this.wal = new WalWriter(fh, size, this.logHealth);
    if (!this.walFiles.includes(name)) this.walFiles.push(name);
  }

  get writable(): boolean {
    return this.wal.failed === undefined;
  }

  get(name: string): Collection | undefined {
    return this.collections.get(name);
  }

  /**
   * Applies a validated change now (in log order) and resolves once it is on disk. `points` is an
   * upsert's log JSON written by the body worker (offload.ts); without it the op is serialised here.
   */
  async commit(op: Op, points?: PointsJson): Promise<number> {
    // Only while a capture copies the collections: else no await, so that the number is taken in
    // the caller's turn, right after its checks (as before the gate).
    if (this.gate.holding) await this.gate.pass();
    if (this.wal.failed) throw logFailed(this.wal.failed);
    const seq = this.seq + 1;
    // The record is made before the number is taken: one that cannot be written (it throws) must
    // leave no gap, or a checkpoint would wait for an operation that is never applied.
    const record =
      op.t === 'upsert' && points ? walUpsertRecord(op.c, seq, points) : walRecord({ ...op, seq });
    // Applied, then logged: what the log holds is what apply() took without throwing, so no input
    // can make a record that fails at every later start (quarantine.ts: what still could). The
    // fsync runs after the change is in memory; the answer waits for both, as before.
    let durable: Promise<void>;
    let applied: Promise<void> | undefined;
    // While a graph takes the changes that waited for its write (graph-queue.ts), a new change is
    // applied after them: its points would wait at the queue's end anyway (the graph keeps their
    // order), and the queue stays what one write held.
    const drained = this.graphsDrained();
    if (this.applied === seq - 1 && !drained && !needsSlices(this, op)) {
      applyOrLog(this, op, seq); // throws: nothing logged, the number not taken
      this.seq = seq;
      this.applied = seq;
      durable = this.wal.append(record);
    } else {
      this.seq = seq;
      const logged = this.applying
        .then(() => drained ?? this.graphsDrained())
        .then(() => this.applyThenLog(op, seq, record));
      // Not the fsync: the next operation's slices start as soon as this one is applied.
      applied = logged.then(() => undefined);
      durable = logged.then((r) => r.durable);
      this.applying = applied.catch(() => undefined);
    }
    // In the graph worker too before the answer (alongside the fsync): a search sent after it
    // sees the change (the worker walks searches ahead of queued changes, graph.ts). If the worker
    // is lost, /health says so; the change is in the log.
    const inGraph =
      op.t === 'payload' || op.t === 'unset' || op.t === 'index' || op.t === 'metadata'
        ? undefined
        : (applied ?? Promise.resolve()).then(graphsReady).catch(() => undefined);
    await Promise.all([
      durable.catch((err) => Promise.reject(isDiskFull(err) ? logFailed(err) : err)),
      applied,
      inGraph,
    ]);
    if (this.wal.bytes > this.checkpointBytes && !this.checkpointing)
      this.checkpoint().catch((err: Error) => this.log(`checkpoint failed: ${err.message}`));
    return seq;
  }

  /** Once every graph has taken the changes that waited for its write; undefined when none is taking them. */
  private graphsDrained(): Promise<unknown> | undefined {
    const all: Promise<void>[] = [];
    for (const c of this.collections.values()) {
      const d = c.graphDrained();
      if (d) all.push(d);
    }
    return all.length ? Promise.all(all) : undefined;
  }

  /** A change applied after those before it (apply-change.ts), then appended to the log. */
  private async applyThenLog(
    op: Op,
    seq: number,
    record: Buffer | Buffer[],
  ): Promise<{ durable: Promise<void> }> {
    let durable: Promise<void> | undefined;
    await applyInSlices(this, op, seq, (applied) => {
      // Done with, logged or not (it threw: its number is left unused), so checkpoints go on.
      this.applied = seq;
      // In the same turn as `applied`: a checkpoint at this number finds the record in its log.
      if (applied) durable = this.wal.append(record);
    });
    return { durable: durable! };
  }

  /**
   * Writes every collection and graph, then the manifest, then drops the logs it covers. The
   * capture (a copy of the arrays) runs CAPTURE_SLICE_MS at a time with writes held back; the files
   * are written in libuv's threads and chunk by chunk, so /health, searches and reads are answered
   * throughout.
   */
  checkpoint(): Promise<void> {
    if (this.checkpointing) return this.checkpointing.then(() => this.checkpoint());
    const state = this.checkpointState;
    state.started++;
    state.running = true;
    this.checkpointing = this.doCheckpoint()
      .then(() => {
        state.completed++;
      })
      .catch((err: Error) => {
        state.failed++;
        throw err;
      })
      .finally(() => {
        Object.assign(state, { running: false, phase: null, operation: null });
        this.checkpointing = undefined;
      });
    return this.checkpointing;
  }

  private async doCheckpoint(): Promise<void> {
    const started = Date.now();
    const cp = join(this.dir, 'checkpoint');
    const state = this.checkpointState;
    state.phase = 'applying';
    // Every logged operation applied (and in the graphs: see Collection.holdGraph) and writes held
    // back while the fence is taken (each collection's per-label arrays copied a slice at a time,
    // reads and /health answered between) and the graphs held; then writes go on while the
    // vectors are copied, each vector a write changes kept as it was first (persist.ts
    // VectorCopy): the image is the state at `seq`, exactly. Before, writes waited for the whole
    // copy (0.7-2 s at 1M points: test/security/vectors-write-during-capture).
    const release = await this.quiesce(true);
    let fenced: Fenced[];
    let oldWal: WalWriter;
    let oldFiles: string[];
    const seq = this.seq;
    try {
      // Nothing new: the manifest's files are these very names, never to be rewritten in place.
      if (seq === this.checkpointed) return;
      state.operation = seq;
      state.phase = 'capture';
      fenced = await fenceAll(this.collections, (name) => `${hex(name)}.${seq}`, this.captureSliceMs);
      oldWal = this.wal;
      // The file in use now may get records after `seq` while the new one opens: kept until next time.
      const current = this.walFiles.at(-1);
      oldFiles = this.walFiles.slice(0, -1);
      this.walFiles = current ? [current] : [];
    } finally {
      release();
    }
    const taken = await copyAll(fenced, this.captureSliceMs, this.copyPause);
    state.phase = 'graphs';
    try {
      await this.rotate();
      for (const t of taken) {
        await t.c.index.writeIndex(join(cp, `${t.base}.hnsw`));
        this.failpoint('graph');
      }
      await this.graphPause?.();
    } finally {
      for (const t of taken) t.c.releaseGraph();
    }
    state.phase = 'collections';
    const { manifest, written } = await writeCollections(cp, seq, taken, () =>
      this.failpoint('collection-file'),
    );
    await oldWal.idle();
    await oldWal.fh.close();
    state.phase = 'manifest';
    await writeManifest(cp, manifest, () => this.failpoint('manifest-tmp'));
    this.checkpointed = seq;
    this.failpoint('manifest');
    // Only now are the old logs and the previous checkpoint's files not needed.
    state.phase = 'cleanup';
    for (const f of oldFiles) {
      rmSync(join(this.dir, 'wal', f), { force: true });
      this.failpoint('cleanup');
    }
    dropUnnamed(cp, written);
    state.last_ms = Date.now() - started;
    this.log(`checkpoint at operation ${seq}: ${taken.length} collections in ${state.last_ms} ms`);
  }

  /**
   * Every committed change applied (with `graphs`, in the graphs too) and writes held back: the
   * collections do not change until the returned release() (write-gate.ts).
   */
  private quiesce(graphs: boolean): Promise<() => void> {
    const busy = () => [...this.collections.values()].some((c) => c.graphBusy);
    return this.gate.hold(() => this.applied === this.seq && !(graphs && busy()));
  }

  /**
   * After a checkpoint with nothing logged since (a purge: consumer-purge.ts), every log file but
   * the one being written holds only what the checkpoint covers: removed now, not at the next one.
   */
  async dropCoveredLogs(): Promise<void> {
    await this.checkpointing;
    const release = await this.quiesce(false);
    try {
      if (this.seq !== this.checkpointed) return;
      for (const f of this.walFiles.slice(0, -1)) rmSync(join(this.dir, 'wal', f), { force: true });
      this.walFiles = this.walFiles.slice(-1);
      fsyncPath(join(this.dir, 'wal'));
    } finally {
      release();
    }
  }

  /** A collection's image as of now (a snapshot; capture.ts), undefined if there is none. */
  capture(name: string): Promise<CollectionImage | undefined> {
    const get = () => this.collections.get(name);
    return captureOne(get, () => this.quiesce(false), this.captureSliceMs, this.copyPause);
  }

  /** Crash tests (VECTORS_CRASH_AT) kill the process at a named point of a checkpoint. */
  private failpoint(name: string): void {
    if (this.crashAt !== name) return;
    this.log(`VECTORS_CRASH_AT=${name}: killing the process here (a test)`);
    process.kill(process.pid, 'SIGKILL');
  }

  async close(): Promise<void> {
    await this.checkpoint();
    await this.wal.idle();
    await this.wal.fh.close();
  }
}
