/**
 * Filter conditions and payload selectors whose answers differed from Qdrant's (issue 16: every field
 * of the subset works exactly as Qdrant's), through the real @qdrant/js-client-rest. Qdrant's rules,
 * as its source has them (lib/segment/src/payload_storage/condition_checker.rs, query_checker.rs):
 * - `match.except` is met by a value not in the list, and an array by any element not in it; a
 *   point with no value there (missing, null, [] or [null]) does not meet it;
 * - `match` and `range` in one condition: either one met is enough;
 * - `is_empty`: missing, null or []; `[null]` is not empty;
 * - `with_payload` include / exclude take paths (`meta.source`), as filter keys do.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { client, raw, rng, vec, withVectorsService } from './qdrant-setup.js';

withVectorsService();

const payloads: Record<number, Record<string, unknown>> = {
  1: { tags: ['a', 'b'] },
  2: { tags: ['a'] },
  3: { tags: 'c' },
  4: {},
  5: { tags: null },
  6: { tags: [] },
  7: { tags: [null] },
  8: { n: 5, meta: { source: 'x.pdf', page: 3, lang: 'en' }, other: 1 },
  9: { n: 7, parts: [{ text: 't', page: 1 }, { page: 2 }] },
  10: { n: 1 },
};

beforeAll(async () => {
  const r = rng(3);
  await client.createCollection('s', { vectors: { size: 4, distance: 'Cosine' } });
  await client.upsert('s', {
    wait: true,
    points: Object.entries(payloads).map(([id, payload]) => ({ id: Number(id), vector: vec(r, 4), payload })),
  });
});

async function ids(filter: Record<string, unknown>): Promise<number[]> {
  const page = await client.scroll('s', { filter, limit: 100, with_payload: false });
  return page.points.map((p) => p.id as number);
}

describe('filters as Qdrant answers them', () => {
  it('match.except: some value not in the list; no value is no match', async () => {
    expect(await ids({ must: [{ key: 'tags', match: { except: ['a'] } }] })).toEqual([1, 3]);
    // The same with a payload index on the field: an index never changes an answer.
    await client.createPayloadIndex('s', { field_name: 'tags', field_schema: 'keyword', wait: true });
    expect(await ids({ must: [{ key: 'tags', match: { except: ['a'] } }] })).toEqual([1, 3]);
    expect(
      (await client.count('s', { filter: { must: [{ key: 'tags', match: { except: ['a'] } }] } })).count,
    ).toBe(2);
    await client.deletePayloadIndex('s', 'tags', { wait: true });
  });

  it('match and range in one condition: either one', async () => {
    expect(await ids({ must: [{ key: 'n', match: { value: 1 }, range: { gte: 6 } }] })).toEqual([9, 10]);
  });

  it('should: [] is met by no point (Qdrant: any of none); must: [] and must_not: [] by every one', async () => {
    expect(await ids({ should: [] })).toEqual([]);
    expect((await client.count('s', { filter: { should: [] } })).count).toBe(0);
    expect(await ids({ must: [], must_not: [] })).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // LlamaIndex's aget_nodes() with no ids and no filters sends exactly this.
    expect(await ids({ should: [], must: [{ has_id: [1] }] })).toEqual([]);
    // And its delete_nodes() with neither: Qdrant deletes nothing (before, every point went).
    await client.createCollection('sd', { vectors: { size: 2, distance: 'Dot' } });
    await client.upsert('sd', {
      wait: true,
      points: [
        { id: 1, vector: [1, 0] },
        { id: 2, vector: [0, 1] },
      ],
    });
    await client.delete('sd', { wait: true, filter: { should: [] } });
    expect((await client.count('sd')).count).toBe(2);
  });

  it('is_empty: missing, null or []; [null] is not empty', async () => {
    expect(await ids({ must: [{ is_empty: { key: 'tags' } }] })).toEqual([4, 5, 6, 8, 9, 10]);
    expect(await ids({ must: [{ is_null: { key: 'tags' } }] })).toEqual([5, 7]);
  });
});

describe('payload selectors take paths', () => {
  it('include and exclude nested keys', async () => {
    const get = async (with_payload: unknown) =>
      (await client.retrieve('s', { ids: [8], with_payload: with_payload as string[] }))[0]!.payload;
    expect(await get(['meta.source', 'n'])).toEqual({ meta: { source: 'x.pdf' }, n: 5 });
    expect(await get({ include: ['meta.source'] })).toEqual({ meta: { source: 'x.pdf' } });
    expect(await get({ exclude: ['meta.page', 'other'] })).toEqual({
      n: 5,
      meta: { source: 'x.pdf', lang: 'en' },
    });
    // Qdrant's walk: `meta` is on the way to meta.nope, so it stays, emptied.
    expect(await get({ include: ['meta.nope'] })).toEqual({ meta: {} });
    const [nine] = await client.retrieve('s', { ids: [9], with_payload: { include: ['parts[].text'] } });
    expect(nine!.payload).toEqual({ parts: [{ text: 't' }, {}] });
    const page = await client.scroll('s', {
      filter: { must: [{ has_id: [9] }] },
      with_payload: { exclude: ['parts[].page'] },
    });
    expect(page.points[0]!.payload).toEqual({ n: 7, parts: [{ text: 't' }, {}] });
  });
});

describe('a query by point id', () => {
  it('leaves that point out, as Qdrant does (its filter gets must_not has_id)', async () => {
    const [eight] = await client.retrieve('s', { ids: [8], with_vector: true });
    const v = eight!.vector as number[];
    const others = { must_not: [{ has_id: [8] }] };
    const want = (await client.query('s', { query: v, limit: 4, filter: others })).points.map((p) => p.id);
    expect(want).toHaveLength(4);
    expect((await client.query('s', { query: 8, limit: 4 })).points.map((p) => p.id)).toEqual(want);
    expect(
      (await client.query('s', { query: { nearest: 8 }, limit: 2, offset: 2 })).points.map((p) => p.id),
    ).toEqual(want.slice(2));
    const mmr = { nearest: 8, mmr: { diversity: 0.5, candidates_limit: 5 } };
    const mmrWant = { nearest: v, mmr: { diversity: 0.5, candidates_limit: 5 } };
    expect((await client.query('s', { query: mmr, limit: 3 })).points.map((p) => p.id)).toEqual(
      (await client.query('s', { query: mmrWant, limit: 3, filter: others })).points.map((p) => p.id),
    );
    const [batch] = await client.queryBatch('s', { searches: [{ query: 8, limit: 4 }] });
    expect(batch!.points.map((p) => p.id)).toEqual(want);
  });
});

describe('what Qdrant does not pass over silently', () => {
  it('a named vector, score_threshold without a query: 400s naming them', async () => {
    const named = await raw('POST', '/collections/s/points/search', {
      vector: { name: 'text', vector: [1, 0, 0, 0] },
    });
    expect(named.status).toBe(400);
    expect(named.json.status.error).toMatch(/"text"/);
    // The default vector's own name, "", is this collection's one vector.
    expect(
      (await raw('POST', '/collections/s/points/search', { vector: { name: '', vector: [1, 0, 0, 0] } }))
        .status,
    ).toBe(200);
    const threshold = await raw('POST', '/collections/s/points/query', { score_threshold: 0.5 });
    expect(threshold.status).toBe(400);
    expect(threshold.json.status.error).toMatch(/score_threshold/);
  });

  it('a condition this server does not know is named; is_empty / is_null in a field condition are Qdrant 1.19s', async () => {
    const hasVector = await raw('POST', '/collections/s/points/count', {
      filter: { must: [{ has_vector: '' }] },
    });
    expect(hasVector.status).toBe(400);
    expect(hasVector.json.status.error).toMatch(/has_vector/);
    expect(await ids({ must: [{ key: 'tags', is_empty: true }] })).toEqual([4, 5, 6, 8, 9, 10]);
    expect(await ids({ must: [{ key: 'tags', is_empty: false }] })).toEqual([1, 2, 3, 7]);
    expect(await ids({ must: [{ key: 'tags', is_null: true }] })).toEqual([5, 7]);
    expect(await ids({ must: [{ key: 'tags', is_null: false }] })).toEqual([1, 2, 3, 4, 6, 8, 9, 10]);
  });
});

describe("match values Qdrant's types take", () => {
  it('value: a string, an integer or a boolean; any / except: strings or integers; else a 400 naming the match', async () => {
    // Qdrant: ValueVariants (String | Integer | Bool) and AnyVariants (Strings | Integers), untagged:
    // a float, a boolean in a list or a list of both kinds matches no variant (400).
    for (const match of [
      { value: 5.5 },
      { any: [true] },
      { any: ['a', 1] },
      { except: [1.5] },
      { any: [null] },
    ]) {
      const r = await raw('POST', '/collections/s/points/count', { filter: { must: [{ key: 'n', match }] } });
      expect(r.status, JSON.stringify(match)).toBe(400);
      expect(r.json.status.error).toMatch(new RegExp(`match\\.${Object.keys(match)[0]} of "n"`));
    }
    expect(await ids({ must: [{ key: 'n', match: { value: 5 } }] })).toEqual([8]);
    expect(await ids({ must: [{ key: 'n', match: { any: [1, 7] } }] })).toEqual([9, 10]);
    expect(await ids({ must: [{ key: 'tags', match: { any: ['c'] } }] })).toEqual([3]);
    expect(
      (
        await raw('POST', '/collections/s/points/count', {
          filter: { must: [{ key: 'b', match: { value: true } }] },
        })
      ).status,
    ).toBe(200);
  });
});

describe('match.text on a field with a text index', () => {
  const texts = ['Hello World, again', 'hello-world', 'Say hello', 'nothing here', 'Hello world!'];
  async function textIds(field: string, text: string): Promise<number[]> {
    const page = await client.scroll('t', {
      filter: { must: [{ key: field, match: { text } }] },
      limit: 100,
    });
    return page.points.map((p) => p.id as number);
  }
  beforeAll(async () => {
    await client.createCollection('t', { vectors: { size: 2, distance: 'Dot' } });
    await client.upsert('t', {
      wait: true,
      points: texts.map((t, i) => ({ id: i + 1, vector: [1, i], payload: { a: t, b: t, c: t, d: t } })),
    });
  });

  it("takes the index's tokens as Qdrant does; without one, a substring", async () => {
    // No index: Qdrant's substring, case and all.
    expect(await textIds('a', 'hello')).toEqual([2, 3]);
    expect(await textIds('a', 'wor')).toEqual([2, 5]);
    await client.createPayloadIndex('t', { field_name: 'a', field_schema: 'text', wait: true });
    // The default word tokenizer, lowercased: whole words, in any order.
    expect(await textIds('a', 'hello')).toEqual([1, 2, 3, 5]);
    expect(await textIds('a', 'WORLD hello')).toEqual([1, 2, 5]);
    expect(await textIds('a', 'wor')).toEqual([]);
    expect(await textIds('a', '!!')).toEqual([]);
    expect(
      (await client.count('t', { filter: { must: [{ key: 'a', match: { text: 'hello' } }] } })).count,
    ).toBe(4);
    await client.createPayloadIndex('t', {
      field_name: 'b',
      field_schema: { type: 'text', tokenizer: 'whitespace', lowercase: false },
      wait: true,
    });
    expect(await textIds('b', 'world')).toEqual([]);
    expect(await textIds('b', 'World,')).toEqual([1]);
    await client.createPayloadIndex('t', {
      field_name: 'c',
      field_schema: { type: 'text', tokenizer: 'prefix', min_token_len: 2, max_token_len: 4 },
      wait: true,
    });
    expect(await textIds('c', 'hel')).toEqual([1, 2, 3, 5]);
    expect(await textIds('c', 'worldly')).toEqual([1, 2, 5]); // cut to "worl"
    expect(await textIds('c', 'h')).toEqual([]); // shorter than min_token_len: no token
    await client.deletePayloadIndex('t', 'a', { wait: true });
    expect(await textIds('a', 'hello')).toEqual([2, 3]);
  });

  it('a text index parameter not served here is a 400 naming it', async () => {
    for (const [schema, named] of [
      [{ type: 'text', tokenizer: 'multilingual' }, /multilingual/],
      // Served since (text-index-params.test.ts): stemmer (Greek's too), stopwords, ascii_folding.
      [{ type: 'text', stemmer: { type: 'snowball', language: 'elvish' } }, /stemmer language "elvish"/],
      [{ type: 'text', stopwords: 'elvish' }, /stopwords/],
      [{ type: 'text', ascii_folding: 'yes' }, /ascii_folding/],
    ] as const) {
      const r = await raw('PUT', '/collections/t/index', { field_name: 'd', field_schema: schema });
      expect(r.status).toBe(400);
      expect(r.json.status.error).toMatch(named);
    }
    expect((await client.getCollection('t')).payload_schema.d).toBeUndefined();
  });
});

describe('delete payload keys', () => {
  it('takes paths, as Qdrant: a nested key, each element of parts[]', async () => {
    await client.createCollection('u', { vectors: { size: 2, distance: 'Dot' } });
    const payload = {
      meta: { source: 'x.pdf', page: 3 },
      parts: [{ text: 't', page: 1 }, { page: 2 }],
      top: 1,
    };
    await client.upsert('u', { wait: true, points: [{ id: 1, vector: [1, 0], payload }] });
    await client.createPayloadIndex('u', { field_name: 'meta.page', field_schema: 'integer', wait: true });
    await client.deletePayload('u', { keys: ['meta.page', 'parts[].page'], points: [1], wait: true });
    const [p] = await client.retrieve('u', { ids: [1] });
    expect(p!.payload).toEqual({ meta: { source: 'x.pdf' }, parts: [{ text: 't' }, {}], top: 1 });
    // The index follows: no point has meta.page now.
    expect(
      (await client.count('u', { filter: { must: [{ key: 'meta.page', match: { value: 3 } }] } })).count,
    ).toBe(0);
    expect((await client.getCollection('u')).payload_schema['meta.page']!.points).toBe(0);
    // A key through an array without [] is no path there (Qdrant's value_remove), nothing changes.
    await client.deletePayload('u', { keys: ['parts.text'], points: [1], wait: true });
    expect((await client.retrieve('u', { ids: [1] }))[0]!.payload).toEqual(p!.payload);
  });
});

describe('payload changes by id', () => {
  it("a point that is not there is Qdrant's 404, and nothing changes; deleting it is no error", async () => {
    await client.createCollection('m', { vectors: { size: 2, distance: 'Dot' } });
    await client.upsert('m', { wait: true, points: [{ id: 1, vector: [1, 0], payload: { x: 1 } }] });
    for (const [method, path, b] of [
      ['POST', 'payload', { payload: { y: 2 }, points: [1, 99] }],
      ['PUT', 'payload', { payload: { y: 2 }, points: [1, 99] }],
      ['POST', 'payload/delete', { keys: ['x'], points: [1, 99] }],
      ['POST', 'payload/clear', { points: [1, 99] }],
    ] as const) {
      const r = await raw(method, `/collections/m/points/${path}`, b);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.json.status.error).toBe('Not found: No point with id 99 found');
    }
    expect((await client.retrieve('m', { ids: [1] }))[0]!.payload).toEqual({ x: 1 });
    expect((await raw('POST', '/collections/m/points/delete', { points: [99] })).status).toBe(200);
  });
});

describe('datetime ranges', () => {
  it("take Qdrant's formats only: RFC 3339, the date alone, a space for T, no zone as UTC", async () => {
    await client.createCollection('d', { vectors: { size: 2, distance: 'Dot' } });
    const when = [
      '2024-03-01T10:00:00Z',
      '2024-03-01 12:00:00',
      '2024-03-02',
      '2024-03-01T09:00:00-05:00',
      '3/1/2024', // not a date for Qdrant: never in a date range
      'March 1, 2024',
    ];
    await client.upsert('d', {
      wait: true,
      points: when.map((w, i) => ({ id: i + 1, vector: [1, 0], payload: { w } })),
    });
    const range = (r: Record<string, unknown>) =>
      raw('POST', '/collections/d/points/scroll', { filter: { must: [{ key: 'w', range: r }] }, limit: 10 });
    const got = async (r: Record<string, unknown>) =>
      ((await range(r)).json.result.points as { id: number }[]).map((p) => p.id);
    expect(await got({ gte: '2024-03-01T00:00:00Z', lt: '2024-03-02' })).toEqual([1, 2, 4]);
    expect(await got({ gt: '2024-03-01 11:00' })).toEqual([2, 3, 4]); // 4 is 14:00 UTC
    for (const bad of ['5', '3/1/2024', 'March 1, 2024', '2024-13-01']) {
      const r = await range({ gte: bad });
      expect(r.status, bad).toBe(400);
      expect(r.json.status.error).toContain('RFC 3339');
    }
    // Numbers and dates in one range: Qdrant reads it as neither.
    expect((await range({ gte: 1, lt: '2024-03-02' })).status).toBe(400);
  });
});

describe('the default vector by its name, ""', () => {
  it('takes what LangChain\'s Python QdrantVectorStore sends: vectors {"": …}, sparse_vectors {}, points with vector {"": […]}', async () => {
    // langchain_qdrant's construct_instance: vectors_config = {vector_name: VectorParams(...)} with
    // vector_name "" (its VECTOR_NAME, "the default/unnamed vector"), sparse_vectors_config = {}.
    const made = await raw('PUT', '/collections/lc', {
      vectors: { '': { size: 3, distance: 'Cosine' } },
      sparse_vectors: {},
    });
    expect(made.status, JSON.stringify(made.json)).toBe(200);
    // Its _validate_collection_for_dense: an unnamed VectorParams is right for vector_name "".
    expect((await client.getCollection('lc')).config.params.vectors).toEqual({ size: 3, distance: 'Cosine' });
    const up = await raw('PUT', '/collections/lc/points?wait=true', {
      points: [
        {
          id: 'a3f5c2e0-0000-4000-8000-000000000001',
          vector: { '': [1, 0, 0] },
          payload: { page_content: 'one', metadata: { n: 1 } },
        },
        {
          id: 'a3f5c2e0-0000-4000-8000-000000000002',
          vector: { '': [0, 1, 0] },
          payload: { page_content: 'two', metadata: { n: 2 } },
        },
      ],
    });
    expect(up.status, JSON.stringify(up.json)).toBe(200);
    const batch = await raw('PUT', '/collections/lc/points?wait=true', {
      batch: { ids: [3], vectors: { '': [[0, 0, 1]] }, payloads: [{ page_content: 'three' }] },
    });
    expect(batch.status, JSON.stringify(batch.json)).toBe(200);
    // Its similarity_search_with_score: query_points(query=…, using="", with_payload=True, …).
    const found = await client.query('lc', { query: [0.9, 0.1, 0], using: '', limit: 2, with_payload: true });
    expect(found.points.map((p) => p.payload?.page_content)).toEqual(['one', 'two']);
    // Another name, or sparse vectors, are still not served: 400s naming them.
    for (const body of [
      { vectors: { text: { size: 3, distance: 'Cosine' } } },
      { vectors: { '': { size: 3, distance: 'Cosine' } }, sparse_vectors: { s: {} } },
    ]) {
      const r = await raw('PUT', '/collections/lc2', body);
      expect(r.status).toBe(400);
    }
    const named = await raw('PUT', '/collections/lc/points', {
      points: [{ id: 9, vector: { text: [1, 0, 0] } }],
    });
    expect(named.status).toBe(400);
    expect(named.json.status.error).toMatch(/"text"/);
  });
});

describe('a Qdrant route this server does not serve', () => {
  it('is a 404 that names it and where the subset is, not "no route …; try " with nothing after', async () => {
    for (const [method, path] of [
      ['GET', '/aliases'],
      ['POST', '/collections/s/points/search/groups'],
      ['POST', '/collections/s/facet'],
    ] as const) {
      const r = await raw(method, path, method === 'GET' ? undefined : {});
      expect(r.status, path).toBe(404);
      expect(r.json.status.error).toBe(
        `Not found: ${method} ${path} is not in the part of Qdrant's API this server serves (the vectors module's README, "The API subset")`,
      );
    }
  });
});
