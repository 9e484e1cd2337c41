/**
 * A collection's snapshots outlive it (as Qdrant's: they are its backups; DELETE of the collection
 * keeps them), and each snapshot file names the collection's owner in its header. A purge of a
 * consumer deleted the snapshots of the consumer's collections that were still there, and left
 * those of a collection the consumer had deleted itself: its points stayed in
 * db/snapshots/HEX(name)/. Now a snapshot whose file names the purged consumer goes too, whatever
 * became of its collection; one of the admin's stays. The vectors service runs as its container runs it.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { until } from '../helpers/until.js';
import { ADMIN, filesHolding, makeDocCollection, purgeService, RAG, SECRET } from './purge-fixture.js';

const svc = purgeService();
const { call, db } = svc;
/** A collection with one point holding a document's text, snapshotted, then deleted. */
async function snapshotThenDelete(token: string, name: string) {
  await makeDocCollection(call, token, name, true);
  expect((await call(token, 'POST', `/collections/${name}/snapshots`)).status).toBe(200);
  expect((await call(token, 'DELETE', `/collections/${name}`)).status).toBe(200);
}
const holding = (name: string) => filesHolding(db(), `${SECRET} of ${name}`);
beforeAll(() => svc.start());

it("a purge deletes the consumer's snapshots of collections it deleted itself; the admin's stay", async () => {
  await snapshotThenDelete(RAG, 'rag-old');
  await snapshotThenDelete(ADMIN, 'admin-old');
  const ragDir = join(db(), 'snapshots', Buffer.from('rag-old').toString('hex'));
  expect(holding('rag-old').length).toBeGreaterThan(0);
  writeFileSync(join(svc.dataDir, 'purge.rag'), `rag ${Date.now()}\n`);
  process.kill(svc.served!.pid, 'SIGUSR2');
  await until('the record applied', () => !existsSync(join(svc.dataDir, 'purge.rag')));
  // Before: the snapshot (and its checksum) stayed, with the document's text.
  expect(holding('rag-old')).toEqual([]);
  expect(existsSync(ragDir) ? readdirSync(ragDir) : []).toEqual([]);
  expect(svc.served!.log()).toMatch(
    /purge of rag's data .*deleted 1 more snapshots naming it as the owner \(rag-old\/[^)]*\.snapshot\)/,
  );
  expect(holding('admin-old').length).toBeGreaterThan(0);
  const adminDir = join(db(), 'snapshots', Buffer.from('admin-old').toString('hex'));
  expect(readdirSync(adminDir).filter((f) => f.endsWith('.snapshot'))).toHaveLength(1);
}, 60_000);
