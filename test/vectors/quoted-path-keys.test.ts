/**
 * A payload field whose name holds a dot (or a bracket), addressed as Qdrant addresses it: its
 * JSON paths take a key either raw or in double quotes (lib/segment/src/json_path/parse.rs:
 * `meta."file.name"`), and `a[0][1]` indexes twice. Here every path was split at each dot, so
 * `"file.name"` was the keys `"file` and `name"`: such a field could be neither filtered, selected
 * nor deleted; and since delete payload keys took paths (9a23a03c), `keys: ["file.name"]` no longer
 * removed the top-level "file.name" it removed before, with no way left to name it. Through the
 * real @qdrant/js-client-rest.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { client, withVectorsService } from './qdrant-setup.js';

withVectorsService();

beforeAll(async () => {
  await client.createCollection('k', { vectors: { size: 2, distance: 'Cosine' } });
  await client.upsert('k', {
    wait: true,
    points: [
      {
        id: 1,
        vector: [1, 0],
        payload: {
          'file.name': 'a.pdf',
          file: { name: 'x' },
          m: [
            [1, 2],
            [3, 4],
          ],
        },
      },
      { id: 2, vector: [0, 1], payload: { 'file.name': 'b.pdf', meta: { 'a[0]': 7 }, m: [[5, 6]] } },
    ],
  });
});

async function ids(filter: Record<string, unknown>): Promise<number[]> {
  return (await client.scroll('k', { filter, with_payload: false })).points.map((p) => p.id as number);
}

describe('payload paths with quoted keys, as Qdrant reads them', () => {
  it('filters', async () => {
    expect(await ids({ must: [{ key: '"file.name"', match: { value: 'b.pdf' } }] })).toEqual([2]);
    expect(await ids({ must: [{ key: 'file.name', match: { value: 'x' } }] })).toEqual([1]);
    expect(await ids({ must: [{ key: 'meta."a[0]"', match: { value: 7 } }] })).toEqual([2]);
    expect(await ids({ must: [{ key: 'm[0][1]', match: { value: 2 } }] })).toEqual([1]);
    expect(await ids({ must: [{ key: 'm[0][1]', match: { value: 6 } }] })).toEqual([2]);
  });

  it('with_payload and delete payload keys', async () => {
    const [one] = await client.retrieve('k', { ids: [1], with_payload: { include: ['"file.name"'] } });
    expect(one!.payload).toEqual({ 'file.name': 'a.pdf' });
    const [two] = await client.retrieve('k', { ids: [2], with_payload: { exclude: ['"file.name"', 'm'] } });
    expect(two!.payload).toEqual({ meta: { 'a[0]': 7 } });
    await client.deletePayload('k', { keys: ['"file.name"', 'meta."a[0]"'], points: [1, 2], wait: true });
    const all = await client.retrieve('k', { ids: [1, 2], with_payload: true });
    expect(all.map((p) => p.payload)).toEqual([
      {
        file: { name: 'x' },
        m: [
          [1, 2],
          [3, 4],
        ],
      },
      { meta: {}, m: [[5, 6]] },
    ]);
  });
});
