/**
 * A logged record that throws when replayed at start is set aside (quarantine.ts) and its
 * collection reports red for as long as the file is there; nothing but removing the file by hand
 * (in the module's data folder, as root) cleared it, and only at the next restart. Now the admin
 * lists them (GET /quarantine), discards one (DELETE /quarantine/NAME) or applies it again
 * (POST /quarantine/NAME/apply: committed anew, logged under a new number), and the collection is
 * green at once. Only the admin may (their token, or no token set): a consumer's own token, which
 * opens every other route, gets 403; no token or a wrong one 401. In process, on the real store
 * and the API on a socket.
 */
import { appendFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { createVectorsServer } from '../../modules/vectors/server/api.js';
import { Collection } from '../../modules/vectors/server/collection.js';
import { collectionInfo } from '../../modules/vectors/server/info.js';
import { Store } from '../../modules/vectors/server/store.js';
import { walRecord } from '../../modules/vectors/server/wal.js';
import { quiet } from '../helpers/quiet-log.js';
import { tempDir } from '../setup/temp-registry.js';

const config = { size: 2, distance: 'Dot' as const, m: 16, efConstruct: 100, fullScanThreshold: 10 };
const ADMIN = 'admin-token-0123456789';
const RAG = 'rag-token-0123456789';

afterEach(() => {
  vi.restoreAllMocks();
  delete process.env.BLUEPRINT_CLIENT_TOKENS_FILE;
});

it('the admin lists, discards and applies again records set aside; the collection is green at once; nobody else may', async () => {
  const dir = tempDir('vec-quar-');
  const db = join(dir, 'db');
  const first = await Store.open(db, quiet);
  await first.commit({ t: 'create', name: 'a', config });
  await first.commit({ t: 'create', name: 'b', config });
  await first.commit({ t: 'upsert', c: 'b', points: [{ id: 9, vector: [0, 1] }] });
  // A record no start can apply (a 3-number vector for a 2-d collection), appended to the log.
  const wal = join(db, 'wal');
  const log = readdirSync(wal).sort().at(-1)!;
  appendFileSync(
    join(wal, log),
    walRecord({ t: 'upsert', c: 'a', points: [{ id: 1, vector: [1, 2, 3] }], seq: 4 }),
  );
  // And one that fails only at this start (a fault then): it applies on a later try.
  appendFileSync(
    join(wal, log),
    walRecord({ t: 'upsert', c: 'b', points: [{ id: 2, vector: [1, 0] }], seq: 5 }),
  );
  const upsert = Collection.prototype.upsert;
  let faults = 0;
  vi.spyOn(Collection.prototype, 'upsert').mockImplementation(function (this: Collection, p, v) {
    if (this.name === 'b' && p.id === 2 && faults++ === 0) throw new Error('a fault at start');
    return upsert.call(this, p, v);
  });
  const s = await Store.open(db, quiet);
  vi.restoreAllMocks();
  expect(s.quarantineOf().map((q) => q.file)).toEqual([
    'quarantine/0000000000000004.json',
    'quarantine/0000000000000005.json',
  ]);
  expect(collectionInfo(s.get('a')!, s.problemsOf('a')).status).toBe('red');
  expect(collectionInfo(s.get('b')!, s.problemsOf('b')).status).toBe('red');

  const tokens = join(dir, 'client-tokens');
  writeFileSync(tokens, `rag ${RAG}\n`);
  process.env.BLUEPRINT_CLIENT_TOKENS_FILE = tokens;
  const kit = createVectorsServer(s, { log: quiet, token: ADMIN });
  const socket = join(dir, 'api.sock');
  await kit.listen(socket);
  const agent = new Agent({ keepAlive: true });
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
  const call = (method: string, path: string, token?: string): Promise<{ status: number; json: any }> =>
    new Promise((resolve, reject) => {
      const headers = token === undefined ? {} : { 'api-key': token };
      request({ socketPath: socket, agent, method, path, headers }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (b: Buffer) => parts.push(b));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          resolve({ status: res.statusCode!, json: text ? JSON.parse(text) : undefined });
        });
      })
        .on('error', reject)
        .end();
    });

  try {
    // The consumer's token opens the other routes, not these.
    expect((await call('GET', '/collections/a', RAG)).status).toBe(200);
    expect((await call('GET', '/quarantine', RAG)).status).toBe(403);
    expect((await call('DELETE', '/quarantine/0000000000000004', RAG)).status).toBe(403);
    expect((await call('POST', '/quarantine/0000000000000005/apply', RAG)).status).toBe(403);
    expect((await call('GET', '/quarantine')).status).toBe(401);
    expect((await call('DELETE', '/quarantine/0000000000000004', 'wrong')).status).toBe(401);
    expect(existsSync(join(db, 'quarantine', '0000000000000004.json'))).toBe(true);

    const listed = await call('GET', '/quarantine', ADMIN);
    expect(listed.status).toBe(200);
    expect(listed.json.result.map((q: { name: string }) => q.name)).toEqual([
      '0000000000000004',
      '0000000000000005',
    ]);
    expect(listed.json.result[0]).toMatchObject({ operation: 4, collection: 'a', error: /3 numbers/ });

    // Applied again: it still fails for its input, a 500, and stays.
    const again = await call('POST', '/quarantine/0000000000000004/apply', ADMIN);
    expect(again.status).toBe(500);
    expect(existsSync(join(db, 'quarantine', '0000000000000004.json'))).toBe(true);
    // Discarded: gone, the collection green at once.
    expect((await call('DELETE', '/quarantine/0000000000000004', ADMIN)).status).toBe(200);
    expect(existsSync(join(db, 'quarantine', '0000000000000004.json'))).toBe(false);
    expect((await call('GET', '/collections/a', ADMIN)).json.result.status).toBe('green');
    expect((await call('DELETE', '/quarantine/0000000000000004', ADMIN)).status).toBe(404);
    // Names outside the folder are not names of records.
    expect((await call('DELETE', '/quarantine/..%2Faccess-token', ADMIN)).status).toBe(404);

    // Applied again: logged under a new number, the point there, green, the file gone.
    const applied = await call('POST', '/quarantine/0000000000000005/apply', ADMIN);
    expect(applied.status).toBe(200);
    expect(applied.json.result.operation_id).toBeGreaterThan(5);
    expect((await call('GET', '/collections/b/points/2', ADMIN)).json.result.vector).toEqual([1, 0]);
    expect((await call('GET', '/collections/b', ADMIN)).json.result.status).toBe('green');
    expect((await call('GET', '/quarantine', ADMIN)).json.result).toEqual([]);
  } finally {
    agent.destroy();
    await kit.drain(1000);
  }
  // A restart has the point (from the log) and nothing set aside.
  const third = await Store.open(db, quiet);
  expect(third.get('b')!.count).toBe(2);
  expect(third.quarantineOf()).toEqual([]);
}, 60_000);
