/**
 * REVIEW18 on REVIEW17's 4f9065ee (a consumer's token revoked while its job waits in the kit's fair
 * queue is refused when its turn comes): vectors' snapshot creates, recovers and upload restores wait
 * in a queue of vectors' own (snapshots.ts `copies`, one at a time, behind a create of a big
 * collection), which that check did not cover. rag's upload, whole and judged when its body was in,
 * waited there while blueprint removed rag; when its turn came the collection was restored anyway,
 * owned by rag and dated after rag's removal, so a purge of rag's data (made before its record's time)
 * would never take it. Now the snapshot queue judges the token when the turn comes, as the kit's
 * queue does: 401, nothing restored, the upload's file gone.
 */
import { readdirSync, renameSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { collectionFileParts } from '../../modules/vectors/server/persist.js';
import { ADMIN, OTHER, purgeService, RAG, SECRET } from '../vectors/purge-fixture.js';

const svc = purgeService({ rag: RAG, other: OTHER });

function collectionFile(name: string, points: number, size: number, payload?: unknown): Buffer {
  const vectors = new Float32Array(points * size);
  for (let i = 0; i < vectors.length; i++) vectors[i] = Math.random();
  const image = {
    name,
    config: { size, distance: 'Dot', m: 16, efConstruct: 100, fullScanThreshold: 10 },
    payloadSchema: {},
    capacity: points,
    ids: Array.from({ length: points }, (_, i) => i + 1),
    payloads: new Array(points).fill(payload),
    versions: new Array(points).fill(1),
    vectors,
  } as unknown as Parameters<typeof collectionFileParts>[0];
  return Buffer.concat([...collectionFileParts(image)].filter((p) => p !== undefined));
}

function post(token: string, path: string, body?: Buffer): Promise<{ status: number; ms: number }> {
  const t = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: svc.served!.socket,
        method: 'POST',
        path,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/octet-stream',
          'content-length': body?.length ?? 0,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, ms: Date.now() - t }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

it("rag removed while its snapshot upload waits in vectors' queue: 401 when its turn comes, nothing restored", async () => {
  await svc.start();
  const big = collectionFile('big', 80_000, 4, { text: 'x'.repeat(100) });
  const first = await post(ADMIN, '/collections/big/snapshots/upload', big);
  expect(first.status).toBe(200);
  // The queue's one place held: the admin restores big again (received, then built in its turn).
  const holding = [post(ADMIN, '/collections/big/snapshots/upload', big)];
  await new Promise((r) => setTimeout(r, 300));
  const mine = post(
    RAG,
    '/collections/ragdata/snapshots/upload',
    collectionFile('ragdata', 1, 2, { text: SECRET }),
  );
  await new Promise((r) => setTimeout(r, 100));
  writeFileSync(join(svc.dataDir, 'new-tokens'), `other ${OTHER}\n`);
  renameSync(join(svc.dataDir, 'new-tokens'), join(svc.dataDir, 'client-tokens'));
  const held = await Promise.all(holding);
  const got = await mine;
  // The precondition: rag's turn came over a second after the change (the kit looks at
  // client-tokens at most once a second), else its token was still the one known.
  expect(held[0]!.ms).toBeGreaterThan(1500);
  expect(got.status).toBe(401);
  expect((await svc.call(ADMIN, 'GET', '/collections/ragdata')).status).toBe(404);
  // The upload's file is gone too (nothing of rag's left under the snapshots folder).
  const dir = join(svc.dataDir, 'db', 'snapshots', Buffer.from('ragdata').toString('hex'));
  expect(
    (() => {
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    })(),
  ).toEqual([]);
}, 120_000);
