/**
 * Delete payload keys took top-level names until 9a23a03c and Qdrant's paths since. A record of it
 * in the write-ahead log is replayed at the next start (after a crash, maybe by an upgraded
 * service): one logged by the old service must remove what it removed when it was answered, a
 * top-level key holding a dot included, not a nested key by that path. The new service marks its
 * records (`paths: true`). In process, on the real store and its log.
 */
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { Store } from '../../modules/vectors/server/store.js';
import { walRecord } from '../../modules/vectors/server/wal.js';
import { quiet } from '../helpers/quiet-log.js';
import { tempDir } from '../setup/temp-registry.js';

const config = { size: 2, distance: 'Dot' as const, m: 16, efConstruct: 100, fullScanThreshold: 10 };
const payload = { 'a.b': 'top', a: { b: 'nested', c: 1 } };

it('a delete-keys record without the paths mark replays as names; one with it as paths', async () => {
  const dir = tempDir('vec-unset-');
  const s = await Store.open(dir, quiet);
  await s.commit({ t: 'create', name: 'c', config });
  await s.commit({ t: 'upsert', c: 'c', points: [1, 2].map((id) => ({ id, vector: [1, id], payload })) });
  // What the service answered now: paths (point 2), as Qdrant.
  await s.commit({ t: 'unset', c: 'c', ids: [2], keys: ['a.b'], paths: true });
  expect(s.get('c')!.payloads[s.get('c')!.labelOf(2)!]).toEqual({ 'a.b': 'top', a: { c: 1 } });
  // A record as the service before 9a23a03c logged it (no mark), after the others: replayed at open.
  const wal = join(dir, 'wal');
  const file = readdirSync(wal).sort().at(-1)!;
  appendFileSync(join(wal, file), walRecord({ t: 'unset', c: 'c', ids: [1], keys: ['a.b'], seq: 4 }));
  const again = await Store.open(dir, quiet);
  const c = again.get('c')!;
  expect(again.seq).toBe(4);
  expect(c.payloads[c.labelOf(1)!]).toEqual({ a: { b: 'nested', c: 1 } });
  expect(c.payloads[c.labelOf(2)!]).toEqual({ 'a.b': 'top', a: { c: 1 } });
});
