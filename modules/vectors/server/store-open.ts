/**
 * A store's state read back at start (Store.open in store.ts): the newest checkpoint loaded, then
 * the logs after it replayed in order, a record that throws when applied set aside (quarantine.ts),
 * a logged restore's collection built again from its snapshot file first.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { apply, type Changes } from './apply-change.js';
import { loadCheckpointDir } from './checkpoint-files.js';
import { recordOwner } from './consumer-purge.js';
import { graphsReady } from './graph.js';
import type { Op } from './ops.js';
import { replayLogs } from './replay.js';
import { buildSnapshot, openFileSource } from './snapshot-build.js';

/** Where a start left off: the checkpoint's operation, the last one applied, the log files read. */
export interface Opened {
  checkpointed: number;
  seq: number;
  files: string[];
  setAside: number;
}

/** The checkpoint and the logs after it, applied to `s` (its collections, empty before). */
export async function openState(s: Changes): Promise<Opened> {
  const manifest = await loadCheckpointDir(join(s.dir, 'checkpoint'), s.collections);
  s.problems.load(s.dir);
  const r = await replayLogs(
    s.dir,
    manifest.seq,
    (op) => replay(s, op),
    s.log,
    (op) => recordOwner(s.collections, op),
  );
  for (const q of r.setAside) s.problems.setAside(q);
  // The checkpoint's graphs loaded and the log's changes in them (in the graph worker: graph.ts).
  await graphsReady();
  s.log.startup(
    `opened ${s.collections.size} collections at operation ${r.seq} (checkpoint ${manifest.seq}, ${r.replayed} replayed from the log)`,
  );
  return { checkpointed: manifest.seq, seq: r.seq, files: r.files, setAside: r.setAside.length };
}

/** One logged operation applied again at start (a restore's collection built first). */
async function replay(s: Changes, op: Op & { seq: number }): Promise<void> {
  try {
    if (op.t === 'restore') await replayRestore(s, op);
    apply(s, op, op.seq);
  } finally {
    // Taken by apply(); else (it threw) its graph is freed here.
    s.prebuilt.get(op)?.dispose();
    s.prebuilt.delete(op);
  }
}

/**
 * A logged restore whose checkpoint did not happen (a crash between): its collection built from
 * the snapshot file a chunk at a time (snapshot-build.ts), for apply() to take. Read whole, the
 * file and a copy of its vectors came on top of the collection at every start: 631 MiB at start
 * for a 129 MiB snapshot (test/security/vectors-recover-memory.test.ts).
 */
async function replayRestore(s: Changes, op: Op & { t: 'restore' }): Promise<void> {
  const file = join(s.dir, 'snapshots', op.file);
  if (!existsSync(file)) return; // apply() says so
  const src = await openFileSource(file);
  try {
    s.prebuilt.set(op, (await buildSnapshot(src, op.name)).collection);
  } finally {
    await src.close();
  }
}
