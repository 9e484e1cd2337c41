/**
 * The vectors service through the real @qdrant/js-client-rest, as a separate process on its unix
 * socket (reached over a loopback bridge: the client builds its own undici Agent): the whole API
 * subset, snapshot → delete → restore equal, and bad input answered with 4xx while it stays up.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { QdrantClient } from '@qdrant/js-client-rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectionFileParts } from '../../modules/vectors/server/persist.js';
import { bridge, bundle, newDataDir, type Served, serve } from './served.js';

let served: Served;
let br: Awaited<ReturnType<typeof bridge>>;
let client: QdrantClient;
let dataDir: string;

beforeAll(async () => {
  dataDir = newDataDir();
  served = await serve(await bundle(), dataDir);
  br = await bridge(served.socket);
  client = new QdrantClient({ url: br.url, checkCompatibility: false });
}, 60_000);

afterAll(async () => {
  await br?.close();
  await served?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A raw request, for what the client has no method for and for malformed bodies. */
async function raw(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${br.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

// Deterministic pseudo-random vectors.
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff - 0.5;
  };
}
const vec = (r: () => number, d: number) => Array.from({ length: d }, r);
const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

describe('service', () => {
  it('GET / answers as Qdrant does (not wrapped in "result"): the client reads its version there', async () => {
    expect(await client.versionInfo()).toMatchObject({
      title: 'qdrant - vector search engine',
      version: '1.19.0',
    });
    const health = await fetch(`${br.url}/healthz`);
    expect(health.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await health.text()).toBe('healthz check passed');
  });
});

describe('collections', () => {
  it('create, exists, get, list, delete; duplicates and bad configs refused', async () => {
    for (const distance of ['Cosine', 'Dot', 'Euclid'] as const)
      expect(await client.createCollection(`c-${distance}`, { vectors: { size: 4, distance } })).toBe(true);
    expect((await client.collectionExists('c-Dot')).exists).toBe(true);
    expect((await client.collectionExists('nope')).exists).toBe(false);
    const info = await client.getCollection('c-Euclid');
    expect(info.config.params.vectors).toEqual({ size: 4, distance: 'Euclid' });
    expect(info.points_count).toBe(0);
    const names = (await client.getCollections()).collections.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['c-Cosine', 'c-Dot', 'c-Euclid']));
    await expect(
      client.createCollection('c-Dot', { vectors: { size: 4, distance: 'Dot' } }),
    ).rejects.toMatchObject({ status: 409 });
    const manhattan = await raw('PUT', '/collections/m', { vectors: { size: 4, distance: 'Manhattan' } });
    expect(manhattan.status).toBe(400);
    expect(manhattan.json.status.error).toMatch(/Manhattan is not supported/);
    const named = await raw('PUT', '/collections/m', { vectors: { a: { size: 4, distance: 'Dot' } } });
    expect(named.status).toBe(400);
    expect(await client.deleteCollection('c-Dot')).toBe(true);
    expect((await client.collectionExists('c-Dot')).exists).toBe(false);
    expect((await raw('GET', '/collections/c-Dot')).json).toMatchObject({
      status: { error: expect.stringMatching(/doesn't exist/) },
    });
  });
});

describe('points', () => {
  const r = rng(7);
  const points = Array.from({ length: 200 }, (_, i) => ({
    id: i % 2 === 0 ? i : uuid(i),
    vector: vec(r, 8),
    payload: {
      n: i,
      group: ['a', 'b', 'c'][i % 3]!,
      tags: i % 5 === 0 ? ['five', 'x'] : ['x'],
      nested: { v: i * 10 },
    },
  }));

  beforeAll(async () => {
    await client.createCollection('p', { vectors: { size: 8, distance: 'Dot' } });
    const res = await client.upsert('p', { wait: true, points });
    expect(res.status).toBe('completed');
  });

  it('retrieve by integer and UUID ids, count, scroll in id order with pages', async () => {
    const got = await client.retrieve('p', { ids: [4, uuid(5), 999], with_vector: true });
    expect(got.map((p) => p.id)).toEqual([4, uuid(5)]);
    expect(got[0]!.payload).toEqual(points[4]!.payload);
    expect((got[1]!.vector as number[])[0]).toBeCloseTo(points[5]!.vector[0]!, 5);
    expect((await client.count('p')).count).toBe(200);
    expect(
      (await client.count('p', { filter: { must: [{ key: 'group', match: { value: 'a' } }] } })).count,
    ).toBe(67);
    const seen: (string | number)[] = [];
    let offset: string | number | null | undefined;
    do {
      const page = await client.scroll('p', { limit: 64, offset: offset ?? undefined, with_payload: false });
      seen.push(...page.points.map((p) => p.id));
      offset = page.next_page_offset as string | number | null;
    } while (offset !== null && offset !== undefined);
    expect(seen).toHaveLength(200);
    // Qdrant's order: integers ascending, then UUIDs.
    expect(seen.slice(0, 100)).toEqual(Array.from({ length: 100 }, (_, i) => i * 2));
    expect(typeof seen[100]).toBe('string');
  });

  it('query matches an exact reference (dot product), with filter, offset, threshold, payload and vector', async () => {
    const q = vec(rng(99), 8);
    const dot = (v: number[]) => v.reduce((s, x, i) => s + x * q[i]!, 0);
    const inB = points.filter(
      (p) => p.payload.group === 'b' && p.payload.n >= 20 && !p.payload.tags.includes('five'),
    );
    const expected = inB.map((p) => ({ id: p.id, s: dot(p.vector) })).sort((a, b) => b.s - a.s);
    const res = await client.query('p', {
      query: q,
      limit: 5,
      offset: 2,
      with_payload: ['n'],
      with_vector: true,
      filter: {
        must: [
          { key: 'group', match: { value: 'b' } },
          { key: 'nested.v', range: { gte: 200 } },
        ],
        must_not: [{ key: 'tags', match: { any: ['five'] } }],
      },
    });
    expect(res.points.map((p) => p.id)).toEqual(expected.slice(2, 7).map((e) => e.id));
    expect(res.points[0]!.score).toBeCloseTo(expected[2]!.s, 4);
    expect(Object.keys(res.points[0]!.payload!)).toEqual(['n']);
    expect(res.points[0]!.vector).toHaveLength(8);
    const threshold = expected[3]!.s;
    const above = await client.query('p', {
      query: q,
      limit: 50,
      score_threshold: threshold,
      filter: {
        must: [
          { key: 'group', match: { value: 'b' } },
          { key: 'nested.v', range: { gte: 200 } },
        ],
        must_not: [{ key: 'tags', match: { any: ['five'] } }],
      },
    });
    expect(above.points.map((p) => p.id)).toEqual(expected.slice(0, 4).map((e) => e.id));
    const should = await client.query('p', {
      query: q,
      limit: 300,
      filter: { should: [{ key: 'n', match: { value: 3 } }, { has_id: [4] }] },
    });
    expect(should.points.map((p) => p.id).sort()).toEqual([4, uuid(3)].sort());
    const batch = await client.queryBatch('p', {
      searches: [
        { query: q, limit: 3 },
        { query: { nearest: q }, limit: 1 },
      ],
    });
    expect(batch[1]!.points[0]!.id).toBe(batch[0]!.points[0]!.id);
  });

  it('the legacy search and search/batch endpoints answer like Qdrant', async () => {
    const q = vec(rng(5), 8);
    const one = await raw('POST', '/collections/p/points/search', {
      vector: q,
      limit: 3,
      with_payload: true,
    });
    expect(one.status).toBe(200);
    expect(one.json.status).toBe('ok');
    expect(one.json.result).toHaveLength(3);
    expect(one.json.result[0]).toMatchObject({
      id: expect.anything(),
      score: expect.any(Number),
      payload: expect.any(Object),
    });
    const batch = await raw('POST', '/collections/p/points/search/batch', {
      searches: [
        { vector: q, limit: 3 },
        { vector: q, limit: 1 },
      ],
    });
    expect(batch.json.result[1][0].id).toEqual(one.json.result[0].id);
  });

  it('set, overwrite, delete and clear payload; delete by ids and by filter', async () => {
    await client.setPayload('p', { payload: { extra: true }, points: [0, uuid(1)] });
    expect((await client.retrieve('p', { ids: [0] }))[0]!.payload).toMatchObject({ n: 0, extra: true });
    await client.overwritePayload('p', { payload: { only: 1 }, points: [0] });
    expect((await client.retrieve('p', { ids: [0] }))[0]!.payload).toEqual({ only: 1 });
    await client.deletePayload('p', { keys: ['extra'], points: [uuid(1)] });
    expect((await client.retrieve('p', { ids: [uuid(1)] }))[0]!.payload).not.toHaveProperty('extra');
    await client.clearPayload('p', { points: [0] });
    expect((await client.retrieve('p', { ids: [0] }))[0]!.payload).toEqual({});
    await client.setPayload('p', {
      payload: { mark: 'm' },
      filter: { must: [{ key: 'n', range: { gte: 190 } }] },
    });
    expect(
      (await client.count('p', { filter: { must: [{ key: 'mark', match: { value: 'm' } }] } })).count,
    ).toBe(10);
    await client.delete('p', { points: [2, uuid(3)] });
    expect((await client.count('p')).count).toBe(198);
    await client.delete('p', { filter: { must: [{ key: 'mark', match: { value: 'm' } }] } });
    expect((await client.count('p')).count).toBe(188);
  });

  it('payload field indexes: listed, used for filters (telemetry), same answers, removed', async () => {
    const stats = async () =>
      (await raw('GET', '/telemetry')).json.result.collections.collections.find(
        (c: { id: string }) => c.id === 'p',
      );
    const filter = {
      must: [
        { key: 'group', match: { value: 'b' } },
        { key: 'nested.v', range: { lt: 900 } },
      ],
    };
    const ask = async () => ({
      query: await client.query('p', { query: vec(rng(9), 8), filter, limit: 5, with_payload: true }),
      count: await client.count('p', { filter }),
      scroll: await client.scroll('p', { filter, limit: 100 }),
    });
    const plain = await ask();
    expect(plain.count.count).toBeGreaterThan(0);
    const before = await stats();
    await client.createPayloadIndex('p', { field_name: 'group', field_schema: 'keyword', wait: true });
    await client.createPayloadIndex('p', { field_name: 'nested.v', field_schema: 'integer', wait: true });
    const info = await client.getCollection('p');
    const withGroup = await client.count('p', { filter: { must_not: [{ is_empty: { key: 'group' } }] } });
    expect(info.payload_schema.group).toMatchObject({ data_type: 'keyword', points: withGroup.count });
    expect(info.payload_schema['nested.v']).toMatchObject({ data_type: 'integer' });
    expect(await ask()).toEqual(plain);
    const after = await stats();
    expect(after.payload_indexes).toEqual({ group: { distinct_values: 3 }, 'nested.v': expect.anything() });
    expect(after.filters.by_payload_index - before.filters.by_payload_index).toBe(3);
    expect(after.filters.by_scan - before.filters.by_scan).toBe(1); // the is_empty count above
    await client.deletePayloadIndex('p', 'group');
    await client.deletePayloadIndex('p', 'nested.v');
    expect((await client.getCollection('p')).payload_schema).toEqual({});
    expect(await ask()).toEqual(plain);
    expect((await stats()).filters.by_scan - after.filters.by_scan).toBe(3);
  });
});

describe('maximal marginal relevance', () => {
  it('picks the most relevant, then what is relevant and unlike the picked; scores stay similarities', async () => {
    await client.createCollection('mmr', { vectors: { size: 4, distance: 'Cosine' } });
    // Five near-copies of one direction, three other directions at some angle to the query.
    const points = [
      ...Array.from({ length: 5 }, (_, i) => ({ id: i, vector: [1, 0.01 * i, 0, 0] })),
      { id: 10, vector: [0.7, 0.7, 0, 0] },
      { id: 11, vector: [0.7, 0, 0.7, 0] },
      { id: 12, vector: [0.7, 0, 0, 0.7] },
    ];
    await client.upsert('mmr', { points });
    const query = [1, 0.05, 0.04, 0.03];
    const plain = (await client.query('mmr', { query, limit: 8 })).points;
    expect(plain.slice(0, 4).every((p) => (p.id as number) < 5)).toBe(true);
    const score = new Map(plain.map((p) => [p.id, p.score]));
    const diverse = (
      await client.query('mmr', {
        query: { nearest: query, mmr: { diversity: 0.5, candidates_limit: 8 } },
        limit: 4,
      })
    ).points;
    expect(diverse[0]!.id).toBe(plain[0]!.id);
    expect(
      diverse
        .slice(1)
        .map((p) => p.id)
        .sort(),
    ).toEqual([10, 11, 12]);
    for (const p of diverse) expect(p.score).toBe(score.get(p.id));
    // Diversity 0 is plain relevance; candidates_limit defaults to the limit (a reorder only).
    const none = (
      await client.query('mmr', {
        query: { nearest: query, mmr: { diversity: 0, candidates_limit: 8 } },
        limit: 4,
      })
    ).points;
    expect(none.map((p) => p.id)).toEqual(plain.slice(0, 4).map((p) => p.id));
    const reorder = (
      await client.query('mmr', { query: { nearest: query, mmr: { diversity: 1 } }, limit: 3 })
    ).points;
    expect(reorder.map((p) => p.id).sort()).toEqual(
      plain
        .slice(0, 3)
        .map((p) => p.id)
        .sort(),
    );
    const wrong = await raw('POST', '/collections/mmr/points/query', {
      query: { nearest: query, mmr: { diversity: 2 } },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.json.status.error).toMatch(/mmr.diversity/);
  });
});

describe('HNSW', () => {
  it('approximate search over a graph agrees with exact search (recall@10 ≥ 0.9), also filtered', async () => {
    const r = rng(3);
    await client.createCollection('h', {
      vectors: { size: 16, distance: 'Cosine' },
      hnsw_config: { full_scan_threshold: 100 },
    });
    const pts = Array.from({ length: 3000 }, (_, i) => ({
      id: i,
      vector: vec(r, 16),
      payload: { odd: i % 2 === 1 },
    }));
    for (let i = 0; i < pts.length; i += 500) await client.upsert('h', { points: pts.slice(i, i + 500) });
    let hits = 0;
    for (let k = 0; k < 20; k++) {
      const q = vec(r, 16);
      const filter = k % 2 ? { must: [{ key: 'odd', match: { value: true } }] } : undefined;
      const approx = await client.query('h', { query: q, limit: 10, filter });
      const exact = await client.query('h', { query: q, limit: 10, filter, params: { exact: true } });
      const want = new Set(exact.points.map((p) => p.id));
      hits += approx.points.filter((p) => want.has(p.id)).length;
      if (filter) expect(approx.points.every((p) => (p.id as number) % 2 === 1)).toBe(true);
    }
    expect(hits / 200).toBeGreaterThanOrEqual(0.9);
    // Delete a third, insert new points (they reuse the freed graph slots): deleted points never
    // come back, new ones are found, recall holds.
    await client.delete('h', { points: pts.filter((p) => p.id % 3 === 0).map((p) => p.id) });
    const fresh = Array.from({ length: 1000 }, (_, i) => ({
      id: 10_000 + i,
      vector: vec(r, 16),
      payload: { odd: false },
    }));
    await client.upsert('h', { points: fresh });
    expect((await client.count('h')).count).toBe(3000 - 1000 + 1000);
    hits = 0;
    for (let k = 0; k < 20; k++) {
      const q = k < 10 ? fresh[k]!.vector : vec(r, 16);
      const approx = await client.query('h', { query: q, limit: 10 });
      expect(approx.points.some((p) => (p.id as number) < 10_000 && (p.id as number) % 3 === 0)).toBe(false);
      if (k < 10) expect(approx.points[0]!.id).toBe(10_000 + k);
      const exact = await client.query('h', { query: q, limit: 10, params: { exact: true } });
      const want = new Set(exact.points.map((p) => p.id));
      hits += approx.points.filter((p) => want.has(p.id)).length;
    }
    expect(hits / 200).toBeGreaterThanOrEqual(0.9);
  }, 60_000);
});

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
