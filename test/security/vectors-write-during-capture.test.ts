/**
 * A checkpoint copies every collection's vectors (0.7–2 s at 1M points on the loaded VM). Writes
 * waited for the whole copy: any client could stall every writer for that long, every 5 minutes
 * or whenever the log passed 64 MiB (which a client's own writes bring on). Now the copy takes
 * its view at a fence (the per-label arrays copied with writes held back, a few turns) and writes
 * go on during the vectors' copy: one that changes a vector not yet copied keeps its old value
 * for the copy first (copy-on-write), so the checkpoint is still the state at its operation, and
 * the writes after the fence are in the log. In process, on the real store; the copy is made slow
 * by a test hook that waits (up to 5 s) for the write sent during it, as a 1M-point copy would be.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { Collection } from '../../modules/vectors/server/collection.js';
import { readCollectionFile } from '../../modules/vectors/server/persist.js';
import { Store } from '../../modules/vectors/server/store.js';
import { quiet } from '../helpers/quiet-log.js';
import { tempDir } from '../setup/temp-registry.js';

const d = 16;
const n = 50_000;
const config = { size: d, distance: 'Dot' as const, m: 16, efConstruct: 100, fullScanThreshold: 10 };
const at = (i: number) => (i % 97) / 97;

/** `n` points put straight into the arrays (inserting them into the graph would take minutes). */
function fill(c: Collection): void {
  for (let i = 0; i < n * d; i++) c.vectors[i] = at(i);
  for (let i = 0; i < n; i++) {
    c.ids[i] = i;
    c.payloads[i] = { g: i % 10 };
    c.versions[i] = 2;
    c.byKey.set(`n${i}`, i);
  }
}

it('a write sent during a checkpoint copy is answered before the copy ends; the checkpoint is the state at its operation, and a restart has every acknowledged point', async () => {
  const dir = tempDir('vec-cow-');
  const s = await Store.open(dir, quiet);
  await s.commit({ t: 'create', name: 'big', config });
  s.collections.get('big')!.dispose();
  s.collections.set('big', new Collection('big', config, n + 1024));
  fill(s.get('big')!);
  const seq = s.seq;

  // Writes sent in the first turn seen during the copy: an update of the last label's vector (the
  // last copied), a new point, and a payload change; the phase when each was answered.
  const phase = () => s.checkpointState.phase;
  const last = { id: n - 1, vector: Array.from({ length: d }, () => 0.5), payload: { late: 1 } };
  const added = { id: n + 7, vector: Array.from({ length: d }, (_, i) => i), payload: { late: 2 } };
  let writes: Promise<(string | null)[]> | undefined;
  let done = false;
  const probe = () => {
    if (phase() === 'capture' && !writes)
      writes = Promise.all([
        s.commit({ t: 'upsert', c: 'big', points: [last, added] }).then(phase),
        s.commit({ t: 'payload', c: 'big', ids: [0], mode: 'set', payload: { late: 3 } }).then(phase),
      ]);
    if (!done) setImmediate(probe);
  };
  setImmediate(probe);
  // The copy made slow: as it starts it waits for the writes to be sent and answered (or 5 s).
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const until = Date.now() + 5000;
  (s as unknown as { copyPause?: () => Promise<unknown> }).copyPause = async () => {
    while (!writes && Date.now() < until) await sleep(1);
    await Promise.race([writes, sleep(until - Date.now())]);
  };
  await s.checkpoint();
  done = true;
  expect(writes).toBeDefined();
  // Before: both answered only once the copy was over ('graphs' or later).
  expect(await writes!).toEqual(['capture', 'capture']);

  const manifest = JSON.parse(readFileSync(join(dir, 'checkpoint', 'manifest.json'), 'utf8'));
  expect(manifest.seq).toBe(seq);
  const { header, vecs } = readCollectionFile(
    readFileSync(join(dir, 'checkpoint', manifest.collections.big.file)),
  );
  // The state at the fence: no write sent during the copy, every vector as it was.
  expect(header.ids.length).toBe(n);
  expect(header.payloads[0]).toEqual({ g: 0 });
  expect(header.payloads[n - 1]).toEqual({ g: (n - 1) % 10 });
  let same = true;
  for (let i = 0; i < n * d; i++) if (vecs[i] !== Math.fround(at(i))) same = false;
  expect(same).toBe(true);

  // A restart (this store not closed, as after a kill): the checkpoint plus the log.
  const again = await Store.open(dir, quiet);
  const c = again.get('big')!;
  expect(c.count).toBe(n + 1);
  for (const p of [last, added]) {
    const l = c.labelOf(p.id)!;
    expect(Array.from(c.vectorOf(l))).toEqual(p.vector);
    expect(c.payloads[l]).toEqual(p.payload);
  }
  expect(c.payloads[c.labelOf(0)!]).toEqual({ g: 0, late: 3 });
  expect(Array.from(c.vectorOf(c.labelOf(5)!))).toEqual(
    Array.from({ length: d }, (_, i) => Math.fround(at(5 * d + i))),
  );
}, 120_000);
