/**
 * A change applied in memory while it is committed (store.ts commit): all or nothing, a large
 * upsert over several turns of the event loop. If applying throws, the change is not logged and the
 * request fails; what it changed before it threw is undone (undo.ts), and the service's log says so.
 */
import { join } from 'node:path';
import type { KitLog } from '../../kit/server/index.js';
import type { Collection } from './collection.js';
import { FieldIndexes } from './field-index.js';
import { valuesAt } from './filter.js';
import { applyOp, checkUpsert, type Op } from './ops.js';
import type { Problems } from './problems.js';
import type { Work } from './slices.js';
import { postingsParams, type TextPostings } from './text-postings.js';
import { Journal, undoAfter } from './undo.js';

/** An upsert of more points than this is applied over several turns of the event loop... */
export const SLICE = 64;
/** ...each turn inserting points for at most this long (an HNSW insert at m 32 takes 1–5 ms). */
const SLICE_MS = 10;

/**
 * A string longer than this (UTF-16 units) at a text-indexed field is tokenized for the index in
 * the change's slices before the change is applied (a value of 200,000 distinct words took
 * 150–280 ms in one turn; text-postings.ts).
 */
const TEXT_SLICED = 64 * 1024;

/** The large strings a change brings to its collection's text indexes, with their postings. */
function largeTexts(s: Changes, op: Op): [TextPostings, string][] {
  const c = (op.t === 'upsert' || op.t === 'payload') && s.collections.get(op.c);
  if (!c) return [];
  const payloads =
    op.t === 'upsert' ? op.points.map((p) => p.payload) : op.t === 'payload' ? [op.payload] : [];
  const out: [TextPostings, string][] = [];
  for (const field of c.fieldIndexes.keys()) {
    const text = c.fieldIndexes.postings(field);
    if (text)
      for (const p of payloads)
        for (const v of valuesAt(p, field))
          if (typeof v === 'string' && v.length > TEXT_SLICED) out.push([text, v]);
  }
  return out;
}

/** A text index made on more than SLICE points: its collection (built aside in slices). */
function textIndexOn(s: Changes, op: Op): Collection | undefined {
  if (op.t !== 'index' || op.schema === null) return undefined;
  const c = s.collections.get(op.c);
  return c && c.count > SLICE && postingsParams(op.schema) ? c : undefined;
}

/** Whether a change is applied in slices (applyInSlices) rather than in the request's turn. */
export function needsSlices(s: Changes, op: Op): boolean {
  return (
    (op.t === 'upsert' && op.points.length > SLICE) ||
    largeTexts(s, op).length > 0 ||
    textIndexOn(s, op) !== undefined
  );
}

/**
 * A text index (PUT /index) built aside from the points as they are, in slices, for the change's
 * createFieldIndex() to take: its tokenizing took 2.5 s in one turn at 100,000 points. Changes wait
 * meanwhile (they are applied in order); one that came anyway (the count moved) has it rebuilt.
 */
async function buildAside(s: Changes, op: Op): Promise<void> {
  const c = textIndexOn(s, op);
  if (!c || op.t !== 'index') return;
  const aside = new FieldIndexes();
  aside.create(op.field, postingsParams(op.schema));
  const labels = [...c.byKey.values()];
  const at = c.changeCount;
  await inSlices(
    (function* () {
      for (const l of labels) {
        aside.update(l, c.payloads[l], 1, op.field);
        yield;
      }
    })(),
  );
  if (c.changeCount === at)
    c.fieldIndexes.built = { field: op.field, schema: op.schema, index: aside.saved(op.field)! };
}

/** Work run SLICE_MS at a time, a turn of the event loop between. */
async function inSlices<T>(work: Work<T>): Promise<T> {
  for (;;) {
    const until = performance.now() + SLICE_MS;
    let r: IteratorResult<void, T>;
    do r = work.next();
    while (!r.done && performance.now() < until);
    if (r.done) return r.value;
    await new Promise((go) => setImmediate(go));
  }
}

/**
 * A change's large text values tokenized ahead, in slices, for its field indexes' update() to take
 * (FieldIndexes.prepared); returns what forgets them once the change is applied.
 */
async function prepareTexts(s: Changes, op: Op): Promise<() => void> {
  const big = largeTexts(s, op);
  const c = big.length > 0 && 'c' in op ? s.collections.get(op.c) : undefined;
  if (!c) return () => undefined;
  const { prepared } = c.fieldIndexes;
  const forget = () => {
    for (const [text] of big) prepared.delete(text);
  };
  try {
    for (const [text, v] of big) {
      const known = prepared.get(text) ?? new Map<string, string[]>();
      prepared.set(text, known);
      if (!known.has(v)) known.set(v, await inSlices(text.keysWork(v)));
    }
  } catch (err) {
    forget();
    throw err;
  }
  return forget;
}

/** What applying a change reads and changes: the store's (store.ts). */
export interface Changes {
  readonly dir: string;
  readonly collections: Map<string, Collection>;
  /** A restore operation → the collection its request built (and so checked) before logging it. */
  readonly prebuilt: Map<Op, Collection>;
  readonly problems: Problems;
  readonly log: KitLog;
}

/** One operation applied as it is (at start, from the log; or by the two below). */
export function apply(s: Changes, op: Op, seq: number, journal?: Journal): void {
  applyOp(s.collections, s.prebuilt, join(s.dir, 'snapshots'), s.log, op, seq, journal);
}

/**
 * apply() for a change being committed: if it throws, the change is not logged and the request
 * fails (a 500); what it changed in memory before it threw is undone (undo.ts; `journal`: a large
 * upsert's, over its slices), so the collection is as before. Said in the log. Only if the undo
 * throws too does the change stay in part, its collection red until a restart.
 */
export function applyOrLog(s: Changes, op: Op, seq: number, journal?: Journal): void {
  try {
    apply(s, op, seq, journal);
  } catch (err) {
    if (journal) undoAfter(journal, err);
    const error = (err as Error).message;
    const partly = (err as { partly?: string }).partly;
    if (partly === undefined) {
      s.log(
        `operation ${seq} (${op.t}) failed while applied and was undone (nothing of it stays) and was not logged: ${error}`,
      );
      throw err;
    }
    s.log(
      `operation ${seq} (${op.t}) failed while applied and was not logged: ${error}; undoing it failed too (${partly})`,
    );
    // Its collection says so (info.ts) until a restart, which drops what it changed before.
    const collection = 'c' in op ? op.c : op.name;
    s.problems.failed({ operation: seq, collection, error });
    throw err;
  }
}

/**
 * A change applied after those before it: a large upsert SLICE_MS of inserts at a time, yielding
 * between slices, so that /health and searches are answered while the graph takes the inserts
 * (searches may see part of it). By time, not by count: a fixed count of inserts took 0.1–0.8 s on
 * a loaded machine. `done` is called in the turn the last slice ends, applied or not (it threw).
 */
export async function applyInSlices(
  s: Changes,
  op: Op,
  seq: number,
  done: (applied: boolean) => void,
): Promise<void> {
  let applied = false;
  let forget = () => undefined as void;
  try {
    forget = await prepareTexts(s, op);
    await buildAside(s, op);
    if (op.t === 'upsert') {
      // Its points checked first, as a small upsert's are (ops.ts): changes nothing if it throws.
      try {
        checkUpsert(s.collections, op);
      } catch (err) {
        s.log(
          `operation ${seq} (upsert) refused while applied and was not logged: ${(err as Error).message}`,
        );
        throw err;
      }
      // One journal over all its slices: a point that throws undoes the points before it too.
      const journal = new Journal();
      let i = 0;
      while (i < op.points.length) {
        const until = performance.now() + SLICE_MS;
        do applyOrLog(s, { ...op, points: [op.points[i++]!] }, seq, journal);
        while (i < op.points.length && performance.now() < until);
        if (i < op.points.length) await new Promise((r) => setImmediate(r));
      }
    } else applyOrLog(s, op, seq);
    applied = true;
  } finally {
    forget();
    const c = 'c' in op ? s.collections.get(op.c) : undefined;
    if (c) c.fieldIndexes.built = undefined;
    done(applied);
  }
}
