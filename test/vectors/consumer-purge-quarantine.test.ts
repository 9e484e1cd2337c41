/**
 * A record a start set aside (DATA/quarantine/SEQ.json: a logged operation that threw when replayed)
 * holds the operation's bytes as they were logged: for an upsert, the points' payloads, a consumer's
 * document text. It carried no owner, so `bpkg remove --purge rag` dropped rag's collections and
 * left that text in the quarantine folder. Now a record set aside keeps the owner of the collection
 * it names (as the replay met it), in its file, and a purge of that consumer deletes it with the
 * collections; the admin's stays. The vectors service runs as its container runs it.
 */
import { appendFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWal, walRecord } from '../../modules/vectors/server/wal.js';
import { until } from '../helpers/until.js';
import { ADMIN, filesHolding, makeDocCollection, purgeService, RAG, SECRET } from './purge-fixture.js';

const svc = purgeService();
const { start, call, db } = svc;
const make = (token: string, name: string) => makeDocCollection(call, token, name, true);
const holding = (name: string) => filesHolding(db(), `${SECRET} of ${name}`);

describe("a purge deletes the consumer's records set aside at start", () => {
  it("rag's record set aside goes with its collections, at the start after; the admin's stays", async () => {
    await start();
    await make(RAG, 'rag-docs');
    await make(ADMIN, 'admin-docs');
    await svc.served!.kill(); // no checkpoint: the next start replays the log
    svc.served = undefined;
    // Two logged upserts that throw when replayed (three numbers for a 2-d collection), each with
    // a document's text, as a bug past the checks would have logged them.
    const wal = join(db(), 'wal');
    const log = join(wal, readdirSync(wal).sort().at(-1)!);
    const last = Math.max(...readWal(log).ops.map((o) => (o as { seq: number }).seq));
    const bad = (c: string, seq: number) =>
      walRecord({
        t: 'upsert',
        c,
        points: [{ id: 9, vector: [1, 2, 3], payload: { text: `${SECRET} of ${c}` } }],
        seq,
      });
    appendFileSync(log, bad('rag-docs', last + 1));
    appendFileSync(log, bad('admin-docs', last + 2));
    await start();
    expect(svc.served!.log()).toMatch(/could not be applied.*set aside in quarantine\//);
    const ragRecord = `${String(last + 1).padStart(16, '0')}.json`;
    const adminRecord = `${String(last + 2).padStart(16, '0')}.json`;
    expect(readdirSync(join(db(), 'quarantine')).sort()).toEqual([ragRecord, adminRecord]);
    expect(holding('rag-docs')).toContain(join(db(), 'quarantine', ragRecord));
    // Stopped and purged: the record's owner is read back from its file at the next start.
    await svc.served!.stop();
    svc.served = undefined;
    writeFileSync(join(svc.dataDir, 'purge.rag'), `rag ${Date.now()}\n`);
    await start();
    expect(existsSync(join(svc.dataDir, 'purge.rag'))).toBe(false);
    // Before: rag's collection went, its record set aside stayed, the document's text in it.
    expect(holding('rag-docs')).toEqual([]);
    expect(readdirSync(join(db(), 'quarantine'))).toEqual([adminRecord]);
    expect(svc.served!.log()).toMatch(
      new RegExp(
        `purge of rag's data .*deleted 1 collections \\(rag-docs\\) and 1 records set aside \\(quarantine/${ragRecord.replace('.', '\\.')}\\)`,
      ),
    );
    const listed = await call(ADMIN, 'GET', '/quarantine');
    expect(listed.json.result.map((q: { name: string }) => q.name)).toEqual([
      adminRecord.replace('.json', ''),
    ]);
    const admin = await call(ADMIN, 'GET', '/collections/admin-docs');
    expect(admin.json.result.status).toBe('red');
    expect(holding('admin-docs').length).toBeGreaterThan(0);
  }, 120_000);

  it('running: a record set aside since the start goes at SIGUSR2 too', async () => {
    svc.newAgent();
    await make(RAG, 'rag-more');
    await svc.served!.kill();
    svc.served = undefined;
    const wal = join(db(), 'wal');
    const log = join(wal, readdirSync(wal).sort().at(-1)!);
    const last = Math.max(...readWal(log).ops.map((o) => (o as { seq: number }).seq));
    appendFileSync(
      log,
      walRecord({
        t: 'upsert',
        c: 'rag-more',
        points: [{ id: 9, vector: [1, 2, 3], payload: { text: `${SECRET} of rag-more` } }],
        seq: last + 1,
      }),
    );
    await start();
    expect(holding('rag-more').some((f) => f.includes('/quarantine/'))).toBe(true);
    writeFileSync(join(svc.dataDir, 'purge.rag'), `rag ${Date.now()}\n`);
    process.kill(svc.served!.pid, 'SIGUSR2');
    await until('the record applied', () => !existsSync(join(svc.dataDir, 'purge.rag')));
    expect(holding('rag-more')).toEqual([]);
    expect(readdirSync(join(db(), 'quarantine'))).toHaveLength(1); // the admin's
    const telemetry = await call(ADMIN, 'GET', '/telemetry');
    expect(telemetry.json.result.quarantine.map((q: { collection: string }) => q.collection)).toEqual([
      'admin-docs',
    ]);
  }, 120_000);
});
