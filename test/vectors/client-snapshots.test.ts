/**
 * The vectors service through the real @qdrant/js-client-rest (qdrant-setup.ts): snapshot → delete
 * → restore equal, download and upload, and bad input answered with 4xx while it stays up.
 */
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { collectionFileParts } from '../../modules/vectors/server/persist.js';
import { br, client, dataDir, raw, rng, uuid, vec, withVectorsService } from './qdrant-setup.js';

withVectorsService();

describe('snapshots', () => {
  it('snapshot, delete the collection, recover it equal; download and upload', async () => {
    const r = rng(11);
    await client.createCollection('s', { vectors: { size: 6, distance: 'Euclid' } });
    const pts = Array.from({ length: 50 }, (_, i) => ({
      id: i % 2 ? i : uuid(i),
      vector: vec(r, 6),
      payload: { i, s: `v${i}` },
    }));
    await client.upsert('s', { points: pts });
    const all = async (name: string) =>
      (await client.scroll(name, { limit: 1000, with_vector: true })).points;
    const before = await all('s');
    const snap = await client.createSnapshot('s');
    expect(snap?.name).toMatch(/\.snapshot$/);
    expect((await client.listSnapshots('s')).map((x) => x.name)).toContain(snap!.name);
    const download = await fetch(`${br.url}/collections/s/snapshots/${snap!.name}`);
    expect(download.status).toBe(200);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.length).toBe(snap!.size);
    await client.deleteCollection('s');
    expect((await client.collectionExists('s')).exists).toBe(false);
    const location = `file://${dataDir}/snapshots/${Buffer.from('s').toString('hex')}/${snap!.name}`;
    expect(await client.recoverSnapshot('s', { location, checksum: snap!.checksum! })).toBe(true);
    expect(await all('s')).toEqual(before);
    // The downloaded bytes uploaded as a new collection (multipart, as Qdrant's upload takes).
    const form = new FormData();
    form.append('snapshot', new Blob([bytes]), 'x.snapshot');
    const up = await fetch(`${br.url}/collections/s2/snapshots/upload`, { method: 'POST', body: form });
    expect(up.status).toBe(200);
    expect(await all('s2')).toEqual(before);
    // The same bytes with one flipped: refused before anything is logged; no collection appears.
    const torn = Buffer.from(bytes);
    torn[torn.length >> 1]! ^= 0xff;
    const bad = new FormData();
    bad.append('snapshot', new Blob([torn]), 'x.snapshot');
    const refused = await fetch(`${br.url}/collections/s4/snapshots/upload`, { method: 'POST', body: bad });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ status: { error: /checksum mismatch/ } });
    expect((await client.collectionExists('s4')).exists).toBe(false);
    // A well-formed file whose collection cannot be built (a distance this server lacks): a 400
    // from building it, and the uploaded file is not left behind as a snapshot.
    const image = {
      name: 'x',
      config: { size: 2, distance: 'Manhattan', m: 16, efConstruct: 100, fullScanThreshold: 10 },
      payloadSchema: {},
      capacity: 1024,
      ids: [1],
      payloads: [undefined],
      versions: [1],
      vectors: Float32Array.of(1, 2),
    } as unknown as Parameters<typeof collectionFileParts>[0];
    const odd = new FormData();
    odd.append(
      'snapshot',
      new Blob([Buffer.concat([...collectionFileParts(image)].filter((p) => p !== undefined))]),
    );
    const unbuilt = await fetch(`${br.url}/collections/s5/snapshots/upload`, { method: 'POST', body: odd });
    expect(unbuilt.status).toBe(400);
    expect(await unbuilt.json()).toMatchObject({ status: { error: /the snapshot cannot be read/ } });
    const s5 = `${dataDir}/snapshots/${Buffer.from('s5').toString('hex')}`;
    expect(existsSync(s5) ? readdirSync(s5) : []).toEqual([]);
    // Outside the snapshots folder: refused.
    const outside = await raw('PUT', '/collections/s3/snapshots/recover', { location: 'file:///etc/passwd' });
    expect(outside.status).toBe(400);
    expect(await client.deleteSnapshot('s', snap!.name)).toBe(true);
    expect(await all('s')).toEqual(before);
  });
});

describe('bad input', () => {
  it('wrong sizes, bad ids, malformed filters, unsupported fields and broken JSON get 4xx; the service stays up', async () => {
    await client.createCollection('b', { vectors: { size: 3, distance: 'Cosine' } });
    const cases: [string, string, unknown, number, RegExp][] = [
      [
        'PUT',
        '/collections/b/points',
        { points: [{ id: 1, vector: [1, 2] }] },
        400,
        /dimension error: expected dim: 3, got 2/,
      ],
      [
        'PUT',
        '/collections/b/points',
        { points: [{ id: -1, vector: [1, 2, 3] }] },
        400,
        /not an unsigned integer/,
      ],
      [
        'PUT',
        '/collections/b/points',
        { points: [{ id: 'not-a-uuid', vector: [1, 2, 3] }] },
        400,
        /Unable to parse UUID/,
      ],
      ['PUT', '/collections/b/points', { points: [{ id: 1, vector: [1, 'x', 3] }] }, 400, /finite numbers/],
      [
        'POST',
        '/collections/b/points/query',
        { query: [1, 2, 3], filter: { must: [{ key: 'a', match: { nope: 1 } }] } },
        400,
        /match.nope is not supported/,
      ],
      [
        'POST',
        '/collections/b/points/query',
        { query: [1, 2, 3], filter: { must: [{ key: 'a' }] } },
        400,
        /needs "match" or "range"/,
      ],
      [
        'POST',
        '/collections/b/points/query',
        { query: [1, 2, 3], filter: { must: [{ nested: {} }] } },
        400,
        /nested/,
      ],
      [
        'POST',
        '/collections/b/points/query',
        { query: [1, 2, 3], prefetch: [] },
        400,
        /"prefetch" is not supported/,
      ],
      ['POST', '/collections/b/points/query', { query: { recommend: {} } }, 400, /not supported/],
      ['POST', '/collections/b/points/query', { query: [1, 2, 3], limit: -1 }, 400, /limit/],
      ['POST', '/collections/b/points/query', '{"query": [1,', 400, /JSON/i],
      ['POST', '/collections/missing/points/query', { query: [1, 2, 3] }, 404, /doesn't exist/],
      ['GET', '/collections/b/points/42', undefined, 404, /No point with id 42/],
      ['DELETE', '/collections/b/points', undefined, 405, /not allowed/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const res = await raw(method, path, body);
      expect([path, res.status]).toEqual([path, status]);
      expect(res.json.status.error).toMatch(message);
      expect(typeof res.json.time).toBe('number');
    }
    const big = await fetch(`${br.url}/collections/b/points`, {
      method: 'PUT',
      body: 'x'.repeat(33 * 1024 * 1024),
      headers: { 'content-type': 'application/json' },
    }).catch(() => undefined);
    if (big) expect(big.status).toBe(413);
    expect((await fetch(`${br.url}/health`)).status).toBe(200);
    expect(await client.upsert('b', { points: [{ id: 1, vector: [1, 2, 3] }] })).toMatchObject({
      status: 'completed',
    });
  });
});
