/**
 * What a change did to a collection, kept while it is applied (ops.ts applyOp) so that one that
 * throws part way can be put back exactly: each point as it was before the change first touched it
 * (its label, vector, payload, version) and each field index it replaced. Undone in reverse order,
 * the free list and the labels come back as they were (a label taken from it goes back on top, a
 * new one at the end is cut off again). A point whose step threw left the graph untouched
 * (Collection.upsert and delete change the graph last); one whose step completed is put back in the
 * graph too, or waits like any change while a checkpoint writes the graph (graph-queue.ts). Before,
 * what came before the step that threw stayed until a restart, the collection red meanwhile.
 */
import type { Collection } from './collection.js';
import type { Payload } from './filter.js';
import { type PointId, pointKey } from './ids.js';
import { setOwn } from './own-key.js';

interface PointWas {
  c: Collection;
  id: PointId;
  key: string;
  /** Its label before the change; undefined when it was not there. */
  label: number | undefined;
  vector: Float32Array | undefined;
  payload: Payload | undefined;
  version: number;
  /** The length of the label arrays before the change (a new label at the end is cut off). */
  idsLength: number;
  /** The change's step for this point completed (the graph took it or it waits). */
  done: boolean;
  /** A new point's free label (the one it would take) as it was: its stale vector and version. */
  slot?: { label: number; vector: Float32Array; version: number };
}

type Step = PointWas | { run: () => void };

export class Journal {
  private readonly steps: Step[] = [];

  /** Before an upsert or delete of `id`: mark the result done once the step returns. */
  point(c: Collection, id: PointId): { done: boolean } {
    const key = pointKey(id);
    const label = c.byKey.get(key);
    const was: PointWas = {
      c,
      id,
      key,
      label,
      vector: label === undefined ? undefined : c.vectorOf(label).slice(),
      payload: label === undefined ? undefined : c.payloads[label],
      version: label === undefined ? 0 : c.versions[label]!,
      idsLength: c.ids.length,
      done: false,
    };
    const free = c.free.at(-1);
    if (label === undefined && free !== undefined)
      was.slot = { label: free, vector: c.vectorOf(free).slice(), version: c.versions[free]! };
    this.steps.push(was);
    return was;
  }

  /** Before a payload change of a live label (the graph is not involved). */
  payload(c: Collection, label: number): void {
    const payload = c.payloads[label];
    const version = c.versions[label]!;
    this.steps.push({
      run: () => {
        c.setPayload(label, payload);
        c.versions[label] = version;
      },
    });
  }

  /** Before a field index is created or dropped: its schema entry and index as they are. */
  index(c: Collection, field: string): void {
    const had = Object.hasOwn(c.payloadSchema, field);
    const schema = c.payloadSchema[field];
    const saved = c.fieldIndexes.saved(field);
    this.steps.push({
      run: () => {
        if (had) setOwn(c.payloadSchema, field, schema);
        else delete c.payloadSchema[field];
        c.fieldIndexes.restore(field, saved);
      },
    });
  }

  /** Puts every change back, latest first; throws if a step cannot be put back. */
  rollback(): void {
    for (let i = this.steps.length - 1; i >= 0; i--) {
      const s = this.steps[i]!;
      if ('run' in s) s.run();
      else putBack(s);
    }
    this.steps.length = 0;
  }
}

function putBack(w: PointWas): void {
  const { c } = w;
  const d = c.config.size;
  const now = c.byKey.get(w.key);
  if (w.label === undefined) {
    if (now === undefined) return; // threw before it took a label
    // As delete() does, the graph told (or the change queued) while the label is still live.
    const deferred = c.deferGraph(now);
    c.byKey.delete(w.key);
    c.setPayload(now, undefined);
    c.ids[now] = undefined;
    if (now < w.idsLength) {
      c.free.push(now);
      if (w.slot?.label === now) {
        c.beforeVectorWrite(now);
        c.vectors.set(w.slot.vector, now * d);
        c.versions[now] = w.slot.version;
      }
    } else {
      c.ids.length = w.idsLength;
      c.payloads.length = Math.min(c.payloads.length, w.idsLength);
      c.versions.length = Math.min(c.versions.length, w.idsLength);
    }
    c.idsChanged();
    if (w.done && !deferred) c.index.markDelete(now);
    return;
  }
  const label = w.label;
  if (now === undefined) {
    // Deleted by the change (or part way): live again at its label, off the free list.
    if (c.free.at(-1) === label) c.free.pop();
    c.byKey.set(w.key, label);
    c.ids[label] = w.id;
    c.idsChanged();
  }
  c.beforeVectorWrite(label);
  c.vectors.set(w.vector!, label * d);
  c.setPayload(label, w.payload);
  c.versions[label] = w.version;
  if (w.done && !c.deferGraph(label)) c.index.addPoint(c.vectorOf(label), label);
}

/**
 * After a change threw: undoes what the journal holds. If that throws too, the error says the
 * change stays applied in part (store.ts then marks its collection red until a restart).
 */
export function undoAfter(j: Journal, err: unknown): void {
  try {
    j.rollback();
  } catch (again) {
    (err as { partly?: string }).partly = (again as Error).message;
  }
}
