/**
 * A purge whose checkpoint did not finish (the process killed, the disk full) must still leave no
 * file holding the consumer's points once its record is gone. The drop is in the log at once, so
 * the next try finds no collection of the consumer left; it skipped the checkpoint then, removed
 * the record and said "it made no collection here", while the log files and the last checkpoint
 * still held the dropped points (docs/module-wiring.md, "A consumer's data, purged", promises none
 * is left). The vectors service runs as its container runs it (the bundle in its own process).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { until } from '../helpers/until.js';
import { filesHolding, purgeService, RAG, SECRET } from './purge-fixture.js';

const svc = purgeService({ rag: RAG }, false);
const start = svc.start;
const call = (method: string, path: string, body?: unknown) => svc.call(RAG, method, path, body);
const holding = () => filesHolding(svc.db(), SECRET);

it("a purge killed in its checkpoint is finished at the next start: no file holds the consumer's points", async () => {
  // Killed in the purge's checkpoint, its manifest not yet in place.
  await start({ VECTORS_CRASH_AT: 'manifest-tmp' });
  expect(
    (await call('PUT', '/collections/rag-default', { vectors: { size: 2, distance: 'Cosine' } })).status,
  ).toBe(200);
  const up = await call('PUT', '/collections/rag-default/points', {
    points: [{ id: 1, vector: [1, 0], payload: { text: SECRET } }],
  });
  expect(up.status).toBe(200);
  writeFileSync(join(svc.dataDir, 'purge.rag'), `rag ${Date.now()}\n`);
  process.kill(svc.served!.pid, 'SIGUSR2');
  await svc.served!.exited;
  await svc.served!.kill();
  expect(svc.served!.log()).toContain('VECTORS_CRASH_AT=manifest-tmp');
  expect(existsSync(join(svc.dataDir, 'purge.rag'))).toBe(true);
  expect(holding().length).toBeGreaterThan(0);

  await start();
  await until('the record applied', () => !existsSync(join(svc.dataDir, 'purge.rag')));
  expect((await call('GET', '/collections')).json.result.collections).toEqual([]);
  expect(holding()).toEqual([]);
}, 120_000);
