/**
 * A change is applied in memory before it is logged (store.ts commit): one that throws while it is
 * applied, for its input or a bug, is refused and never reaches the write-ahead log, so it cannot
 * fail every later start. What the log holds that still throws at start is set aside
 * (quarantine.ts; the service-level test is test/security/vectors-replay-guard.test.ts), except
 * for want of memory, where the start is refused naming the record. In process, on the real store.
 */
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Collection } from '../../modules/vectors/server/collection.js';
import { collectionInfo } from '../../modules/vectors/server/info.js';
import { Store } from '../../modules/vectors/server/store.js';
import { readWal, walRecord } from '../../modules/vectors/server/wal.js';
import { recordingLog } from '../helpers/quiet-log.js';
import { tempDir } from '../setup/temp-registry.js';

const lines: string[] = [];
const log = recordingLog(lines);
const config = { size: 2, distance: 'Dot' as const, m: 16, efConstruct: 100, fullScanThreshold: 10 };
const point = (id: number) => ({ id, vector: [Math.sin(id), Math.cos(id)] });

/** Every operation number in the store's logs. */
function logged(dir: string): number[] {
  const wal = join(dir, 'wal');
  return readdirSync(wal)
    .sort()
    .flatMap((f) => readWal(join(wal, f)).ops.map((o) => (o as { seq: number }).seq));
}

async function opened(): Promise<{ dir: string; s: Store }> {
  const dir = tempDir('vec-apply-');
  const s = await Store.open(dir, log);
  await s.commit({ t: 'create', name: 'a', config });
  await s.commit({ t: 'upsert', c: 'a', points: [point(1), point(2)] });
  return { dir, s };
}

afterEach(() => {
  vi.restoreAllMocks();
  lines.length = 0;
});

describe('a change that throws while it is applied', () => {
  it('a small upsert with a bad point: refused, nothing changed, not logged, no number taken', async () => {
    const { dir, s } = await opened();
    // As a validation bug would let through: the API refuses a vector of the wrong size.
    const bad = { t: 'upsert' as const, c: 'a', points: [point(3), { id: 4, vector: [1, 2, 3] }] };
    await expect(s.commit(bad)).rejects.toThrow(/vector of 3 numbers/);
    expect(s.get('a')!.count).toBe(2); // point 3, before the bad one, is not there either
    expect(await s.commit({ t: 'upsert', c: 'a', points: [point(5)] })).toBe(3);
    // Before: the refused upsert was operation 3, in the log, and every later open threw.
    expect(logged(dir)).toEqual([1, 2, 3]);
    const again = await Store.open(dir, log);
    expect(again.get('a')!.count).toBe(3);
    expect(again.quarantineOf()).toEqual([]);
  });

  it('a large upsert (applied in slices) with a bad point: nothing changed, not logged, checkpoints go on', async () => {
    const { dir, s } = await opened();
    const points = Array.from({ length: 300 }, (_, i) => point(100 + i));
    points[250] = { id: 350, vector: [1] };
    await expect(s.commit({ t: 'upsert', c: 'a', points })).rejects.toThrow(/vector of 1 numbers/);
    expect(s.get('a')!.count).toBe(2);
    expect(lines.join('\n')).toMatch(/operation 3 \(upsert\) refused while applied and was not logged/);
    // Its number stays unused (taken before its slices): the next is 4, and a checkpoint completes.
    expect(await s.commit({ t: 'upsert', c: 'a', points: points.slice(0, 100) })).toBe(4);
    expect(logged(dir)).toEqual([1, 2, 4]);
    await s.checkpoint();
    const again = await Store.open(dir, log);
    expect(again.get('a')!.count).toBe(102);
  });

  it('a bug past the checks whose undo throws too: not logged, red until a restart, the next start is clean', async () => {
    const { dir, s } = await opened();
    // Every payload change throws, putting the old payload back too (undo.ts; an undo that works
    // leaves the collection green: apply-all-or-nothing.test.ts).
    vi.spyOn(Collection.prototype, 'setPayload').mockImplementation(() => {
      throw new Error('a bug');
    });
    await expect(
      s.commit({ t: 'payload', c: 'a', ids: [1], mode: 'set', payload: { k: 1 } }),
    ).rejects.toThrow('a bug');
    expect(lines.join('\n')).toMatch(
      /operation 3 \(payload\) failed while applied and was not logged: a bug/,
    );
    // Its collection says so until a restart (status red, as a record set aside at start).
    const info = collectionInfo(s.get('a')!, s.problemsOf('a'));
    expect(info.status).toBe('red');
    expect(info.optimizer_status).toEqual({
      error: expect.stringMatching(/operation 3 failed while applied \(a bug\)/),
    });
    expect(collectionInfo(s.get('a')!, s.problemsOf('b')).status).toBe('green');
    expect(logged(dir)).toEqual([1, 2]);
    vi.restoreAllMocks();
    const again = await Store.open(dir, log);
    expect(again.quarantineOf()).toEqual([]);
    expect(again.problemsOf('a')).toEqual([]);
    expect(again.seq).toBe(2);
  });
});

describe('a logged record that throws when replayed', () => {
  it('for want of memory: the start is refused, naming the record, and nothing is set aside', async () => {
    const { dir } = await opened();
    vi.spyOn(Collection.prototype, 'upsert').mockImplementation(() => {
      throw new RangeError('Array buffer allocation failed');
    });
    await expect(Store.open(dir, log)).rejects.toThrow(
      /operation 2 in .*0000000000000001\.log could not be applied at start for want of memory .*give the service more memory/,
    );
    expect(readdirSync(dir)).not.toContain('quarantine');
    vi.restoreAllMocks();
    expect((await Store.open(dir, log)).get('a')!.count).toBe(2);
  });

  it('one whose checksum holds but whose JSON does not parse: set aside, the records after it applied', async () => {
    const { dir } = await opened();
    const wal = join(dir, 'wal');
    const file = readdirSync(wal).sort().at(-1)!;
    // Framed as the log frames a record (length, CRC-32 of the body) around a body that is not JSON.
    const body = Buffer.from('{"t":"upsert",');
    const framed = Buffer.alloc(8);
    framed.writeUInt32LE(body.length, 0);
    framed.writeUInt32LE(crc32(body), 4);
    appendFileSync(join(wal, file), Buffer.concat([framed, body]));
    appendFileSync(join(wal, file), walRecord({ t: 'upsert', c: 'a', points: [point(7)], seq: 3 }));
    // Before: read as the torn tail of the log, it and the acknowledged operation 3 were cut off.
    const again = await Store.open(dir, log);
    expect(again.get('a')!.count).toBe(3);
    expect(again.seq).toBe(3);
    const q = again.quarantineOf();
    expect(q).toEqual([
      expect.objectContaining({ operation: null, collection: null, file: `quarantine/${file}-2.json` }),
    ]);
    expect(JSON.parse(readFileSync(join(dir, q[0]!.file), 'utf8')).record).toBe('{"t":"upsert",');
    expect(lines.join('\n')).toMatch(/could not be applied .*set aside in quarantine\//);
  });
});
