/**
 * Collection `metadata` (Qdrant 1.16+: CreateCollection.metadata, UpdateCollection.metadata merged
 * into what is there with a null value removing its key, returned in the info's `config.metadata`),
 * through the real @qdrant/js-client-rest against the service's bundle in its own process: the
 * answers, through a kill -9 (the log), a restart (a checkpoint) and a snapshot restore; bad and
 * huge metadata are a 400 that changes nothing. Before, `metadata` was a 400 on create and update.
 */
import { describe, expect, it } from 'vitest';
import { client, dataDir, raw, restartVectors, withVectorsService } from './qdrant-setup.js';

withVectorsService();

const metadataOf = async (c: string) => (await client.getCollection(c)).config.metadata;
const vectors = { size: 2, distance: 'Dot' } as const;

describe('collection metadata, as Qdrant', () => {
  it("Qdrant's documented examples: create with it, update merges, null removes a key", async () => {
    await client.createCollection('m', {
      vectors,
      metadata: { 'my-metadata-field': 'value-1', 'another-field': 123 },
    });
    expect(await metadataOf('m')).toEqual({ 'my-metadata-field': 'value-1', 'another-field': 123 });
    await client.updateCollection('m', {
      metadata: { 'my-metadata-field': { 'key-a': 'value-a', 'key-b': 42 } },
    });
    expect(await metadataOf('m')).toEqual({
      'my-metadata-field': { 'key-a': 'value-a', 'key-b': 42 },
      'another-field': 123,
    });
    await client.updateCollection('m', { metadata: { 'another-field': null, added: [1, 'two'] } });
    expect(await metadataOf('m')).toEqual({
      'my-metadata-field': { 'key-a': 'value-a', 'key-b': 42 },
      added: [1, 'two'],
    });
    // No metadata given: none in the answer; an update without it leaves it as it is.
    await client.createCollection('plain', { vectors });
    expect(await metadataOf('plain')).toBeUndefined();
    await client.updateCollection('plain', {});
    await client.updateCollection('m', {});
    expect(Object.keys((await metadataOf('m')) ?? {})).toEqual(['my-metadata-field', 'added']);
    // An update to a collection with none makes it.
    await client.updateCollection('plain', { metadata: { model: 'bge-small', gone: null } });
    expect(await metadataOf('plain')).toEqual({ model: 'bge-small' });
  });

  it('kept through kill -9 (the log), a restart (a checkpoint) and a snapshot restore', async () => {
    await client.createCollection('keep', { vectors, metadata: { a: 1, b: { c: [true, null] } } });
    await client.updateCollection('keep', { metadata: { a: null, d: 'é"\n' } });
    const want = { b: { c: [true, null] }, d: 'é"\n' };
    await restartVectors(true);
    expect(await metadataOf('keep')).toEqual(want);
    const snap = await client.createSnapshot('keep');
    await restartVectors();
    expect(await metadataOf('keep')).toEqual(want);
    await client.deleteCollection('keep');
    const location = `file://${dataDir}/snapshots/${Buffer.from('keep').toString('hex')}/${snap!.name}`;
    expect(await client.recoverSnapshot('keep', { location, checksum: snap!.checksum! })).toBe(true);
    expect(await metadataOf('keep')).toEqual(want);
  }, 60_000);

  it('bad and huge metadata: a 400 that says why, and nothing changed', async () => {
    await client.createCollection('bad', { vectors, metadata: { k: 'v' } });
    let deep: unknown = 1;
    for (let i = 0; i < 200; i++) deep = { d: deep };
    const huge = { big: 'x'.repeat(300_000) };
    const many = Object.fromEntries(Array.from({ length: 30_000 }, (_, i) => [`k${i}`, i]));
    for (const [metadata, said] of [
      ['a string', /metadata must be a JSON object/],
      [[1, 2], /metadata must be a JSON object/],
      [7, /metadata must be a JSON object/],
      [deep, /nested more than/],
      [huge, /metadata.*at most 262144 bytes/],
      [many, /metadata.*at most 262144 bytes/],
    ] as const) {
      const made = await raw('PUT', '/collections/bad2', { vectors, metadata });
      expect(made.status, JSON.stringify(metadata).slice(0, 40)).toBe(400);
      expect(made.json.status.error).toMatch(said);
      const upd = await raw('PATCH', '/collections/bad', { metadata });
      expect(upd.status).toBe(400);
      expect(upd.json.status.error).toMatch(said);
    }
    expect((await client.collectionExists('bad2')).exists).toBe(false);
    expect(await metadataOf('bad')).toEqual({ k: 'v' });
    // Each update small, the merge over the bound: refused too, the metadata as it was.
    await client.updateCollection('bad', { metadata: { half: 'y'.repeat(200_000) } });
    const over = await raw('PATCH', '/collections/bad', { metadata: { other: 'z'.repeat(100_000) } });
    expect(over.status).toBe(400);
    expect(over.json.status.error).toMatch(/at most 262144 bytes/);
    expect(Object.keys((await metadataOf('bad')) ?? {})).toEqual(['k', 'half']);
    // Other update fields this server does not serve are still a 400 naming them; a missing collection a 404.
    expect((await raw('PATCH', '/collections/bad', { optimizers_config: { x: 1 } })).status).toBe(400);
    expect((await raw('PATCH', '/collections/nope', { metadata: { a: 1 } })).status).toBe(404);
  });
});
