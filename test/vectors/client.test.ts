/**
 * The vectors service through the real @qdrant/js-client-rest, as a separate process on its unix
 * socket (qdrant-setup.ts): the whole API subset but snapshots (client-snapshots.test.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { br, client, raw, rng, uuid, vec, withVectorsService } from './qdrant-setup.js';

withVectorsService();

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
