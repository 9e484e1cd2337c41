/**
 * vectors records which consumer made each collection, and deletes a purged consumer's collections
 * (docs/module-wiring.md, "A consumer's data, purged"): blueprint writes `purge.CONSUMER`
 * ("CONSUMER TIME") into its data folder; vectors applies it at its start before it serves, and
 * while running at SIGUSR2. The owner is kept in the log and the checkpoints (a restart between
 * the create and the purge), the record's time keeps a newer consumer's collections, the admin's
 * and another consumer's stay, and a bad record deletes nothing. The vectors service runs as its
 * container runs it (the bundle in its own Node process); the real containers: test/rag/purge.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { until } from '../helpers/until.js';
import { ADMIN, filesHolding, makeDocCollection, OTHER, purgeService, RAG, SECRET } from './purge-fixture.js';

const svc = purgeService({ rag: RAG, other: OTHER });
const { start, call } = svc;
const names = async () =>
  ((await call(ADMIN, 'GET', '/collections')).json.result.collections as { name: string }[])
    .map((c) => c.name)
    .sort();
const make = (token: string, name: string) => makeDocCollection(call, token, name);
const holding = (name: string) => filesHolding(svc.db(), `${SECRET} of ${name}`);
const record = (consumer: string, text: string) =>
  writeFileSync(join(svc.dataDir, `purge.${consumer}`), text);

describe("vectors deletes a purged consumer's collections", () => {
  it('a record found at start: its collections gone before it serves, with their files; the others stay', async () => {
    await start();
    await make(RAG, 'rag-default');
    await make(RAG, 'rag-notes');
    await make(OTHER, 'other-docs');
    await make(ADMIN, 'admin-docs');
    expect((await call(RAG, 'POST', '/collections/rag-default/snapshots')).status).toBe(200);
    // Stopped: the owners are in the checkpoint written at stop, not only in memory.
    await svc.served!.stop();
    svc.served = undefined;
    expect(holding('rag-default').length).toBeGreaterThan(0);
    record('rag', `rag ${Date.now()}\n`);
    await start();
    // The first answer it gives already lacks them: the record was applied before it listened.
    expect(await names()).toEqual(['admin-docs', 'other-docs']);
    expect(svc.served!.log()).toMatch(
      /purge of rag's data .*deleted 2 collections \(rag-default, rag-notes\)/,
    );
    expect(existsSync(join(svc.dataDir, 'purge.rag'))).toBe(false);
    // Nothing on disk holds their points (log files, checkpoint files, snapshots).
    expect(holding('rag-default')).toEqual([]);
    expect(holding('rag-notes')).toEqual([]);
    expect(holding('other-docs').length).toBeGreaterThan(0);
  }, 120_000);

  it('running: SIGUSR2 applies a record now; what the consumer made after the record time stays', async () => {
    const before = Date.now();
    await make(RAG, 'rag-default'); // a rag installed again after the purge: made after `before`
    // A record of a purge made before: it matches nothing made since (the log only, not yet a checkpoint).
    record('rag', `rag ${before - 1}\n`);
    process.kill(svc.served!.pid, 'SIGUSR2');
    await until('the record applied', () => !existsSync(join(svc.dataDir, 'purge.rag')));
    expect(await names()).toEqual(['admin-docs', 'other-docs', 'rag-default']);
    // Then a purge now: the new one goes too, straight from the log.
    record('rag', `rag ${Date.now()}\n`);
    process.kill(svc.served!.pid, 'SIGUSR2');
    await until('the record applied', () => !existsSync(join(svc.dataDir, 'purge.rag')));
    expect(await names()).toEqual(['admin-docs', 'other-docs']);
    expect(holding('rag-default')).toEqual([]);
    expect(statSync(join(svc.dataDir, 'db')).isDirectory()).toBe(true);
  }, 60_000);

  it('a restored collection is whoever restored it, never the owner its snapshot file names', async () => {
    await make(RAG, 'rag-orig');
    await make(ADMIN, 'shared');
    const snap = async (token: string, c: string) => {
      const r = await call(token, 'POST', `/collections/${c}/snapshots`);
      expect(r.status).toBe(200);
      const dir = join(svc.dataDir, 'db/snapshots', Buffer.from(c).toString('hex'));
      return `file://${join(dir, r.json.result.name)}`;
    };
    const ragSnap = await snap(RAG, 'rag-orig'); // the file records rag as its owner
    const adminSnap = await snap(ADMIN, 'shared');
    const recover = (token: string, c: string, location: string) =>
      call(token, 'PUT', `/collections/${c}/snapshots/recover`, { location });
    expect((await recover(ADMIN, 'admin-copy', ragSnap)).status).toBe(200);
    expect((await recover(RAG, 'rag-copy', adminSnap)).status).toBe(200);
    // Kept across a restart: the restore's owner is in its logged operation and the checkpoint.
    await svc.served!.stop();
    await start();
    record('rag', `rag ${Date.now()}\n`);
    process.kill(svc.served!.pid, 'SIGUSR2');
    await until('the record applied', () => !existsSync(join(svc.dataDir, 'purge.rag')));
    expect(await names()).toEqual(['admin-copy', 'admin-docs', 'other-docs', 'shared']);
    // rag's snapshot folder went with its collection; the copy the admin restored is the admin's.
    expect(existsSync(join(svc.dataDir, 'db/snapshots', Buffer.from('rag-orig').toString('hex')))).toBe(
      false,
    );
    expect(holding('shared').length).toBeGreaterThan(0);
  }, 60_000);

  it('a bad record is logged and left, nothing deleted for it; the service goes on', async () => {
    record('other', `rag ${Date.now()}\n`); // names rag in other's record
    writeFileSync(join(svc.dataDir, 'purge.x'), 'x 12 13\n');
    process.kill(svc.served!.pid, 'SIGUSR2');
    await until('both logged', () => (svc.served!.log().match(/purge record .* ignored/g) ?? []).length >= 2);
    expect(svc.served!.log()).toContain(
      'purge record "purge.other" ignored, nothing deleted for it: it names rag, not other of its file name',
    );
    expect(svc.served!.log()).toContain(
      'purge record "purge.x" ignored, nothing deleted for it: it is not one line',
    );
    expect(await names()).toEqual(['admin-copy', 'admin-docs', 'other-docs', 'shared']);
    expect(existsSync(join(svc.dataDir, 'purge.other'))).toBe(true);
    // And at a start, the same: it starts, deletes nothing.
    await svc.served!.stop();
    await start();
    expect(await names()).toEqual(['admin-copy', 'admin-docs', 'other-docs', 'shared']);
  }, 60_000);
});
