/**
 * A purge whose checkpoint did not finish (the process killed, the disk full) must still leave no
 * file holding the consumer's points once its record is gone. The drop is in the log at once, so
 * the next try finds no collection of the consumer left; it skipped the checkpoint then, removed
 * the record and said "it made no collection here", while the log files and the last checkpoint
 * still held the dropped points (docs/module-wiring.md, "A consumer's data, purged", promises none
 * is left). The vectors service runs as its container runs it (the bundle in its own process).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { until } from '../helpers/until.js';
import { dropTempDir } from '../setup/temp-registry.js';
import { filesHolding, purgeEnv, RAG, SECRET, writeTokenFiles } from './purge-fixture.js';
import { bundle, callSocket, newDataDir, type Served, serve } from './served.js';

let file: string;
let dataDir: string;
let served: Served | undefined;
const agent = new Agent({ keepAlive: false });

const start = async (env: Record<string, string> = {}) => {
  served = await serve(file, join(dataDir, 'db'), { ...purgeEnv(dataDir, false), ...env });
  return served;
};
const call = (method: string, path: string, body?: unknown) =>
  callSocket(served!.socket, agent, method, path, body, { authorization: `Bearer ${RAG}` });

const holding = () => filesHolding(join(dataDir, 'db'), SECRET);

beforeAll(async () => {
  file = await bundle();
  dataDir = newDataDir();
  writeTokenFiles(dataDir, { rag: RAG }, false);
}, 120_000);
afterAll(async () => {
  await served?.stop();
  agent.destroy();
  if (dataDir) dropTempDir(dataDir);
});

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
  writeFileSync(join(dataDir, 'purge.rag'), `rag ${Date.now()}\n`);
  process.kill(served!.pid, 'SIGUSR2');
  await served!.exited;
  await served!.kill();
  expect(served!.log()).toContain('VECTORS_CRASH_AT=manifest-tmp');
  expect(existsSync(join(dataDir, 'purge.rag'))).toBe(true);
  expect(holding().length).toBeGreaterThan(0);

  await start();
  await until('the record applied', () => !existsSync(join(dataDir, 'purge.rag')));
  expect((await call('GET', '/collections')).json.result.collections).toEqual([]);
  expect(holding()).toEqual([]);
}, 120_000);
