/**
 * The operations the write-ahead log holds, and what each does to the collections in memory: the
 * same code applies a change as it is committed and again as the log is replayed at open
 * (store.ts), so that both end in the same state.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { KitLog } from '../../kit/server/index.js';
import { Collection, type CollectionConfig, type Owner, type Point } from './collection.js';
import type { Payload } from './filter.js';
import type { PointId } from './ids.js';
import { setOwn } from './own-key.js';
import { checkMetadata } from './parse.js';
import { remover } from './payload-select.js';
import { Journal, undoAfter } from './undo.js';

export type Op =
  | { t: 'create'; name: string; config: CollectionConfig; owner?: Owner }
  | { t: 'drop'; name: string }
  | { t: 'upsert'; c: string; points: Point[] }
  | { t: 'delete'; c: string; ids: PointId[] }
  | { t: 'payload'; c: string; ids: PointId[]; mode: 'set' | 'overwrite' | 'clear'; payload?: Payload }
  // `paths`: the keys are Qdrant's paths (since 9a23a03c); a record logged before, without it,
  // names top-level keys and is replayed so (test/vectors/unset-record-format.test.ts).
  | { t: 'unset'; c: string; ids: PointId[]; keys: string[]; paths?: true }
  | { t: 'index'; c: string; field: string; schema: unknown | null }
  // Qdrant's collection update's `metadata`: merged into the collection's, a null value removing its key.
  | { t: 'metadata'; c: string; metadata: Payload }
  | { t: 'restore'; name: string; file: string; owner?: Owner };

/** A large upsert's points checked before its first slice (apply-change.ts applyInSlices). */
export function checkUpsert(collections: Map<string, Collection>, op: Op): void {
  if (op.t !== 'upsert') return;
  const c = collections.get(op.c);
  if (c) for (const p of op.points) c.checkPoint(p);
}

/**
 * Applies a validated operation to the collections in memory: as it is committed, before it is
 * logged (what throws here is refused and never logged), and at open the log's operations after
 * the checkpoint, in order (one that throws then is set aside: quarantine.ts). `prebuilt` holds a restore's collection, built from
 * its file in `snapshots` before the operation was logged or replayed; `seq` is the operation's
 * number, each changed point's version.
 */
export function applyOp(
  collections: Map<string, Collection>,
  prebuilt: Map<Op, Collection>,
  snapshots: string,
  log: KitLog,
  op: Op,
  seq: number,
  journal?: Journal,
): void {
  // All or nothing: what a change did before a step threw is undone (undo.ts). A caller that
  // applies one change in several calls (a large upsert's slices) passes its journal and undoes.
  const j = journal ?? new Journal();
  try {
    applyTo(collections, prebuilt, snapshots, log, op, seq, j);
  } catch (err) {
    if (!journal) undoAfter(j, err);
    throw err;
  }
}

function applyTo(
  collections: Map<string, Collection>,
  prebuilt: Map<Op, Collection>,
  snapshots: string,
  log: KitLog,
  op: Op,
  seq: number,
  j: Journal,
): void {
  switch (op.t) {
    case 'create': {
      const c = new Collection(op.name, op.config);
      c.owner = op.owner;
      collections.set(op.name, c);
      return;
    }
    case 'drop':
      collections.get(op.name)?.dispose();
      collections.delete(op.name);
      return;
    case 'restore': {
      const file = join(snapshots, op.file);
      if (!existsSync(file)) {
        log(`replay: snapshot ${op.file} is gone; collection ${op.name} not restored`);
        return;
      }
      const built = prebuilt.get(op);
      prebuilt.delete(op);
      collections.get(op.name)?.dispose();
      // Built by the request, or at start by replayRestore.
      if (!built) throw new Error(`restore of ${op.name}: its collection was not built`);
      // Whoever restored it owns it, not whoever the snapshot file says made it.
      built.owner = op.owner;
      collections.set(op.name, built);
      return;
    }
  }
  const c = collections.get(op.c);
  if (!c) return; // validated before logging; during replay a later drop may already be applied
  switch (op.t) {
    case 'upsert':
      // Every point checked before the first changes anything: an upsert that throws for its
      // input changes nothing (and is not logged: store.ts commit).
      for (const p of op.points) c.checkPoint(p);
      for (const p of op.points) {
        const step = j.point(c, p.id);
        c.upsert(p, seq);
        step.done = true;
      }
      return;
    case 'delete':
      for (const id of op.ids) {
        const step = j.point(c, id);
        c.delete(id);
        step.done = true;
      }
      return;
    case 'payload':
      for (const id of op.ids) {
        const l = c.labelOf(id);
        if (l === undefined) continue;
        j.payload(c, l);
        c.setPayload(
          l,
          op.mode === 'set'
            ? { ...c.payloads[l], ...op.payload }
            : op.mode === 'clear'
              ? {}
              : { ...op.payload },
        );
        c.versions[l] = seq;
      }
      return;
    case 'unset': {
      // Paths, as Qdrant's (payload-select.ts), cut once; a copy, the payload before left as it was.
      const remove = op.paths ? remover(op.keys) : topLevel(op.keys);
      for (const id of op.ids) {
        const l = c.labelOf(id);
        if (l === undefined) continue;
        j.payload(c, l);
        c.setPayload(l, { ...remove(c.payloads[l] ?? {}) });
        c.versions[l] = seq;
      }
      return;
    }
    case 'metadata':
      // One assignment, the merge made and bounded first (api.ts checked it too, but an update
      // committed between that check and this one may have grown it): nothing to undo if it throws.
      c.config = { ...c.config, metadata: checkMetadata(mergeMetadata(c.config.metadata, op.metadata)) };
      return;
    case 'index':
      j.index(c, op.field);
      if (op.schema === null) {
        delete c.payloadSchema[op.field];
        c.fieldIndexes.delete(op.field);
      } else {
        setOwn(c.payloadSchema, op.field, op.schema);
        c.createFieldIndex(op.field);
      }
      return;
  }
}

/** Qdrant's metadata update: each key set, or removed when its value is null. */
export function mergeMetadata(was: Payload | undefined, update: Payload): Payload {
  const out: Payload = { ...was };
  for (const [k, v] of Object.entries(update)) {
    if (v === null) delete out[k];
    else setOwn<unknown>(out, k, v);
  }
  return out;
}

/** A record logged before 9a23a03c: its keys are top-level names, removed from a copy. */
function topLevel(keys: string[]): (p: Payload) => Payload {
  return (p) => {
    const copy = { ...p };
    for (const k of keys) delete copy[k];
    return copy;
  };
}
