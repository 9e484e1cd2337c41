/**
 * The kit's mid-body token check (./kit-token-revoked-mid-body.test.ts) in the vectors service as its
 * container runs it: every vectors route checks the token itself (auth: false, Qdrant's api-key),
 * and a collection's owner is the consumer the token names. rag's token rotated while its upsert's
 * body is still arriving: 401, and no point of it stored. The kit looks at client-tokens at most
 * once a second for a known token, so the rest is sent a little over a second after the change.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADMIN, purgeService, RAG } from '../vectors/purge-fixture.js';

const ROTATED = 'rag-rotated-token-0123456789abcdef';
const svc = purgeService({ rag: RAG });

async function upsertInTwo(token: string, meanwhile: () => Promise<void>): Promise<string> {
  const body = Buffer.from(
    JSON.stringify({ points: [{ id: 7, vector: [1, 0], payload: { text: 'x'.repeat(4000) } }] }),
  );
  const c = connect(svc.served!.socket);
  let got = '';
  c.on('data', (d: Buffer) => {
    got += d.toString('latin1');
  });
  c.on('error', () => undefined);
  try {
    c.write(
      `PUT /collections/docs/points?wait=true HTTP/1.1\r\nHost: x\r\napi-key: ${token}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    c.write(body.subarray(0, body.length / 2));
    await new Promise((r) => setTimeout(r, 50));
    await meanwhile();
    c.write(body.subarray(body.length / 2));
    const end = Date.now() + 10_000;
    while (!got.includes('\r\n\r\n') && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    return got.split('\r\n')[0] ?? '';
  } finally {
    c.destroy();
  }
}

describe('vectors: a consumer token rotated while its upsert body arrives', () => {
  it('401, nothing stored; the new token then works', async () => {
    await svc.start();
    const made = await svc.call(RAG, 'PUT', '/collections/docs', {
      vectors: { size: 2, distance: 'Cosine' },
    });
    expect(made.status).toBe(200);
    const status = await upsertInTwo(RAG, async () => {
      writeFileSync(join(svc.dataDir, 'new-tokens'), `rag ${ROTATED}\n`);
      renameSync(join(svc.dataDir, 'new-tokens'), join(svc.dataDir, 'client-tokens'));
      await new Promise((r) => setTimeout(r, 1200));
    });
    expect(status).toBe('HTTP/1.1 401 Unauthorized');
    const count = await svc.call(ADMIN, 'POST', '/collections/docs/points/count', {});
    expect((count.json as { result: { count: number } }).result.count).toBe(0);
    expect(await upsertInTwo(ROTATED, async () => undefined)).toBe('HTTP/1.1 200 OK');
  }, 60_000);
});
