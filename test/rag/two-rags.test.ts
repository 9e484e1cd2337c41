/**
 * Two rags on one vectors module (a second rag installed under another name, or a community module
 * built from rag): each must keep to its own collections. Before, every rag named its collections
 * `rag-NAME` and swept, at each start, every point of its collections whose document it did not
 * know: both rags ingested into `rag-default`, and each start of one emptied the other's chunks.
 *
 * And a collection whose documents were all removed (a delete, or a rollback) before a restart,
 * where a late write of an unknown document lands afterwards: rag kept no record of it, so the
 * next start's sweep passed it over and its points stayed for good.
 *
 * Real parts: the rag, embeddings (GloVe), vectors and llm bundles as processes (server-harness.ts);
 * the second rag is the same bundle told its module's name (RAG_MODULE_NAME, as the sandbox's host
 * name tells it in a container: names.ts moduleName).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sectionedDoc } from '../helpers/rag-docs.js';
import { tempDir } from '../setup/temp-registry.js';
import {
  adminsOwnCollection,
  http,
  type Proc,
  pointCount,
  type Stack,
  startRag,
  startStack,
} from './server-harness.js';

let stack: Stack;
const dirs = { rag: '', other: '' };
let rag: Proc;
let other: Proc;
const OTHER = { RAG_MODULE_NAME: 'rag-fr' };

beforeAll(async () => {
  stack = await startStack();
  dirs.rag = tempDir('bp-rag-two-a-');
  dirs.other = tempDir('bp-rag-two-b-');
  [rag, other] = await Promise.all([startRag(stack, dirs.rag), startRag(stack, dirs.other, OTHER)]);
}, 300_000);

afterAll(async () => {
  await Promise.allSettled([rag?.stop(), other?.stop()]);
  await stack?.stop();
});

const volcanoes = sectionedDoc('Volcanoes', [
  'The volcano erupted and lava flowed down the mountain slopes.',
  'Magma rises through the crust and the volcano erupts with ash.',
  'The crater of the volcano smoked for weeks after the eruption.',
]);
const bread = sectionedDoc('Bread', [
  'The baker kneads the dough and bakes the bread in the oven.',
  'Flour, water, yeast and salt make a simple bread dough.',
  'A hot oven gives the bread loaf a dark crisp crust.',
]);

const ingest = async (p: Proc, source: string, text: string, collection?: string) => {
  const r = await http(p.socket, 'POST', '/v1/documents', { source, text, collection });
  expect(r.status, r.text).toBe(201);
  return r.json as { id: string; chunks: number };
};
const retrieve = async (p: Proc, query: string, collection?: string) => {
  const r = await http(p.socket, 'POST', '/v1/retrieve', { query, k: 10, collection });
  expect(r.status, r.text).toBe(200);
  return (r.json as { chunks: { document: string }[] }).chunks.map((c) => c.document);
};
/** Points of `document` in every vectors collection. */
const pointsOf = async (document: string) => {
  const list = (await http(stack.vectors.socket, 'GET', '/collections')).json as {
    result: { collections: { name: string }[] };
  };
  let n = 0;
  for (const { name } of list.result.collections) n += await pointCount(stack, name, document);
  return n;
};
/** Restarts a rag and waits until its start's sweep is over (an ingest queued after it is answered). */
const restart = async (p: Proc, dir: string, env: Record<string, string>, probe: string) => {
  await p.stop();
  const again = await startRag(stack, dir, env);
  while (!/recovery: \d+ unfinished document operations cleaned up/.test(again.log()))
    await new Promise((r) => setTimeout(r, 200));
  await ingest(again, probe, `# ${probe}\n\nA note written after the start, ${probe}.\n`);
  return again;
};

it('two rags on one vectors: each ingests and each restarts (its sweep), and neither loses a chunk', async () => {
  // The same collection name in both, and names that would meet with a '-': rag's fr-docs and
  // rag-fr's docs.
  const a = await ingest(rag, 'volcanoes.md', volcanoes);
  const b = await ingest(other, 'bread.md', bread);
  const a2 = await ingest(rag, 'more-bread.md', bread.replaceAll('bread', 'loaf'), 'fr-docs');
  const b2 = await ingest(other, 'more-volcanoes.md', volcanoes.replaceAll('volcano', 'mountain'), 'docs');
  for (const d of [a, b, a2, b2]) expect(await pointsOf(d.id)).toBe(d.chunks);

  rag = await restart(rag, dirs.rag, {}, 'probe-a');
  other = await restart(other, dirs.other, OTHER, 'probe-b');
  rag = await restart(rag, dirs.rag, {}, 'probe-c');

  for (const d of [a, b, a2, b2]) expect(await pointsOf(d.id)).toBe(d.chunks);
  expect(rag.log()).not.toMatch(/sweep: removed/);
  expect(other.log()).not.toMatch(/sweep: removed/);
  // Each answers from its own documents only (its probes included).
  const own = async (p: Proc, query: string, mine: string, theirs: string[], collection?: string) => {
    const got = await retrieve(p, query, collection);
    expect(got).toContain(mine);
    for (const t of theirs) expect(got).not.toContain(t);
  };
  const all = [a.id, b.id, a2.id, b2.id];
  await own(rag, 'volcano lava', a.id, [b.id, b2.id]);
  await own(other, 'bread oven', b.id, [a.id, a2.id]);
  await own(
    rag,
    'loaf oven',
    a2.id,
    all.filter((d) => d !== a2.id),
    'fr-docs',
  );
  await own(
    other,
    'mountain lava',
    b2.id,
    all.filter((d) => d !== b2.id),
    'docs',
  );
  const names = (
    (await http(stack.vectors.socket, 'GET', '/collections')).json as {
      result: { collections: { name: string }[] };
    }
  ).result.collections.map((c) => c.name);
  // rag keeps the names it always gave; the other is named from its module.
  expect(names).toEqual(
    expect.arrayContaining(['rag-default', 'rag-fr-docs', 'rag-fr@default', 'rag-fr@docs']),
  );
}, 300_000);

it('a collection emptied before a restart, then written to by a late write: swept at the next start', async () => {
  const d = await ingest(rag, 'gone.md', volcanoes.replaceAll('volcano', 'geyser'), 'emptied');
  const del = await http(rag.socket, 'DELETE', `/v1/documents/${d.id}`);
  expect(del.status, del.text).toBe(200);
  // The late write: a point of a document rag does not know, landing in the emptied collection
  // (rag sweeps at start, and after a recovery of its own).
  const [vector] = (await http(stack.embeddings.socket, 'POST', '/embed', { inputs: ['geyser steam'] }))
    .json as number[][];
  const stray = randomUUID();
  const put = await http(stack.vectors.socket, 'PUT', '/collections/rag-emptied/points?wait=true', {
    points: [
      { id: randomUUID(), vector, payload: { document: stray, source: 'gone.md', text: 'geyser steam' } },
    ],
  });
  expect(put.status, put.text).toBe(200);
  rag = await restart(rag, dirs.rag, {}, 'probe-d');
  expect(rag.log()).toMatch(/sweep: removed 1 chunk of documents rag does not know from rag-emptied/);
  expect(await pointsOf(stray)).toBe(0);
}, 300_000);

it('a vectors collection rag never wrote to, holding points, is not taken for a rag collection of that name', async () => {
  // The admin's own rag-notes, made through vectors' API. A first ingest into rag's `notes` would
  // have written into it and recorded it as rag's: its points then swept at the next start.
  const vector = await adminsOwnCollection(stack, 'rag-notes', (v) => [
    { id: 1, vector: v, payload: { note: 'mine' } },
  ]);
  const r = await http(rag.socket, 'POST', '/v1/documents', {
    source: 'n.md',
    text: bread,
    collection: 'notes',
  });
  expect(r.status, r.text).toBe(409);
  expect(r.text).toContain('rag-notes');
  rag = await restart(rag, dirs.rag, {}, 'probe-e');
  expect(await pointCount(stack, 'rag-notes')).toBe(1);
  // An empty one (a collection an older rag made and emptied) is taken.
  expect(
    (
      await http(stack.vectors.socket, 'PUT', '/collections/rag-empty', {
        vectors: { size: vector.length, distance: 'Cosine' },
      })
    ).status,
  ).toBe(200);
  await ingest(rag, 'e.md', bread, 'empty');
}, 300_000);
