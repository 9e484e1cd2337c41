/**
 * Payload paths are the client's text (with_payload include / exclude, delete payload keys), cut
 * into steps by payload-select.ts. The cut was a regex, /^(.*?)((?:\[\d*\])*)$/, whose lazy prefix
 * retried the brackets' run from every position: quadratic in a path's length, on the main thread
 * (a part of 40,000 "[]" and one letter: 8 s), and done again for every point answered. One path
 * of 300,000 "[]" (0.6 MB of a 32 MB body) held the service for hours, /health unanswered. Now a
 * part's brackets are read once from its end; the steps are the same. And every field of every point
 * answered was compared with every path of the list (which has no bound of its own): 300,000 paths
 * (3 MB) over 20 points of 1,000 fields was 6 billion comparisons; now the paths are a tree of
 * their steps, walked beside the payload, a lookup a field.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { client, raw, withVectorsService } from '../vectors/qdrant-setup.js';

withVectorsService();

const long = `a${'[]'.repeat(300_000)}x`;

beforeAll(async () => {
  await client.createCollection('w', { vectors: { size: 2, distance: 'Cosine' } });
  await client.createCollection('q', { vectors: { size: 2, distance: 'Cosine' } });
  await client.upsert('q', {
    wait: true,
    points: [
      { id: 1, vector: [1, 0], payload: { a: [{ b: 1, c: 2 }], d: 3 } },
      { id: 2, vector: [0, 1], payload: { a: [{ b: 4 }], d: 5 } },
    ],
  });
  const wide = Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`k${i}`, i]));
  await client.upsert('w', {
    wait: true,
    points: Array.from({ length: 20 }, (_, i) => ({ id: i + 1, vector: [1, i], payload: wide })),
  });
}, 60_000);

describe('vectors: long payload paths are cut in linear time', () => {
  it('with_payload include and exclude, and delete payload keys, answer as for short paths', async () => {
    const scroll = (with_payload: unknown) =>
      raw('POST', '/collections/q/points/scroll', { limit: 10, with_payload, with_vector: false });
    const inc = await scroll([long, 'a[].b']);
    expect(inc.status).toBe(200);
    expect(inc.json.result.points.map((p: { payload: unknown }) => p.payload)).toEqual([
      { a: [{ b: 1 }] },
      { a: [{ b: 4 }] },
    ]);
    const exc = await scroll({ exclude: [long, 'a[].c'] });
    expect(exc.json.result.points.map((p: { payload: unknown }) => p.payload)).toEqual([
      { a: [{ b: 1 }], d: 3 },
      { a: [{ b: 4 }], d: 5 },
    ]);
    const del = await raw('POST', '/collections/q/points/payload/delete?wait=true', {
      keys: [long, 'a[].b'],
      points: [1, 2],
    });
    expect(del.status).toBe(200);
    const [one] = await client.retrieve('q', { ids: [1], with_payload: true });
    expect(one!.payload).toEqual({ a: [{ c: 2 }], d: 3 });
  }, 60_000);

  it('a list of 300,000 paths over points of 1,000 fields', async () => {
    const paths = Array.from({ length: 300_000 }, (_, i) => `k${i * 7}`);
    const r = await raw('POST', '/collections/w/points/scroll', {
      limit: 20,
      with_payload: { include: paths },
      with_vector: false,
    });
    expect(r.status).toBe(200);
    const want = Object.fromEntries(Array.from({ length: 143 }, (_, i) => [`k${i * 7}`, i * 7]));
    expect(r.json.result.points.map((p: { payload: unknown }) => p.payload)).toEqual(Array(20).fill(want));
    const e = await raw('POST', '/collections/w/points/scroll', {
      limit: 1,
      with_payload: { exclude: paths },
      with_vector: false,
    });
    expect(Object.keys(e.json.result.points[0].payload)).toHaveLength(1_000 - 143);
  }, 60_000);
});
