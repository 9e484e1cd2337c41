/**
 * Which rag made a vectors collection, said in the collection's own `metadata` (vectors keeps
 * Qdrant's, cf3fce01): rag creates its collections with `{"blueprint-rag": MODULE}` and sweeps only
 * those that name it. Before, the record in rag's data folder was all it went by:
 * - a crash between recording a collection and its first write (so rag never made it), then the
 *   admin's own collection of that name through vectors' API: the next start swept the admin's
 *   points, and the next ingest wrote into it;
 * - two rags of an older box (before the record, both used `rag-NAME`) that both wrote to one
 *   collection: each start of one swept the other's chunks.
 *
 * Real parts: the rag, embeddings (GloVe), vectors and llm bundles as processes (server-harness.ts).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tempDir } from '../setup/temp-registry.js';
import { http, type Proc, type Stack, startRag, startStack } from './server-harness.js';

let stack: Stack;
const procs: Proc[] = [];
let vector: number[];

beforeAll(async () => {
  stack = await startStack();
  const embedded = await http(stack.embeddings.socket, 'POST', '/embed', { inputs: ['a note'] });
  vector = (embedded.json as number[][])[0]!;
}, 300_000);
afterAll(async () => {
  await Promise.allSettled(procs.map((p) => p.stop()));
  await stack?.stop();
});

const start = async (dir: string, env: Record<string, string> = {}) => {
  const p = await startRag(stack, dir, env);
  procs.push(p);
  // Its start's recovery and sweep are over.
  while (!/recovery: \d+ unfinished document operations cleaned up/.test(p.log()))
    await new Promise((r) => setTimeout(r, 200));
  const probe = await http(p.socket, 'POST', '/v1/documents', {
    source: 'probe.md',
    text: `# P\n\nA probe, ${randomUUID()}.\n`,
  });
  expect(probe.status, probe.text).toBe(201);
  return p;
};
const vectors = (method: string, path: string, body?: unknown) =>
  http(stack.vectors.socket, method, path, body);
const count = async (name: string, document?: string) =>
  (
    (
      await vectors('POST', `/collections/${encodeURIComponent(name)}/points/count`, {
        exact: true,
        ...(document ? { filter: { must: [{ key: 'document', match: { value: document } }] } } : {}),
      })
    ).json as { result: { count: number } }
  ).result.count;
const metadata = async (name: string) =>
  (
    (await vectors('GET', `/collections/${encodeURIComponent(name)}`)).json as {
      result: { config: { metadata?: Record<string, unknown> } };
    }
  ).result.config.metadata;
const made = async (name: string, points: { document?: string; note?: string }[]) => {
  const c = await vectors('PUT', `/collections/${encodeURIComponent(name)}`, {
    vectors: { size: vector.length, distance: 'Cosine' },
  });
  expect(c.status, c.text).toBe(200);
  const put = await vectors('PUT', `/collections/${encodeURIComponent(name)}/points?wait=true`, {
    points: points.map((payload) => ({ id: randomUUID(), vector, payload })),
  });
  expect(put.status, put.text).toBe(200);
};

it('rag names itself in the metadata of each collection it makes', async () => {
  const p = await start(tempDir('bp-rag-own-a-'), { RAG_MODULE_NAME: 'rag-de' });
  expect(await metadata('rag-de@default')).toEqual({ 'blueprint-rag': 'rag-de' });
  await p.stop();
}, 300_000);

it("a collection recorded before a crash kept rag from making it: the admin's one of that name is neither swept nor written to", async () => {
  const dir = tempDir('bp-rag-own-b-');
  let p = await start(dir);
  await p.stop();
  // What a crash between recording `crashed` and rag's first write to it leaves.
  const file = join(dir, 'documents.json');
  const record = JSON.parse(readFileSync(file, 'utf8'));
  record.collections.crashed = 'rag-crashed';
  writeFileSync(file, JSON.stringify(record));
  // The admin then makes rag-crashed through vectors' API.
  await made('rag-crashed', [{ note: 'mine' }, { note: 'mine too' }]);
  p = await start(dir);
  expect(p.log()).not.toMatch(/sweep: removed/);
  expect(await count('rag-crashed')).toBe(2);
  const r = await http(p.socket, 'POST', '/v1/documents', {
    source: 'c.md',
    text: '# C\n\nSome text.\n',
    collection: 'crashed',
  });
  expect(r.status, r.text).toBe(409);
  expect(r.text).toContain('rag-crashed');
  expect(await count('rag-crashed')).toBe(2);
  await p.stop();
}, 300_000);

it("two rags of an older box that both wrote to one rag-NAME: neither start sweeps the other's chunks", async () => {
  // Data folders from before the record (no `collections`), one document each in `shared`, both
  // rags' chunks in the one rag-shared they both used then (no metadata: made by an older rag).
  const docs = { one: randomUUID(), two: randomUUID() };
  const dirs = { one: tempDir('bp-rag-own-c-'), two: tempDir('bp-rag-own-d-') };
  for (const k of ['one', 'two'] as const)
    writeFileSync(
      join(dirs[k], 'documents.json'),
      JSON.stringify({
        documents: [
          {
            id: docs[k],
            source: `${k}.md`,
            collection: 'shared',
            sha256: 'a'.repeat(64),
            chunks: 1,
            pages: null,
            bytes: 10,
            kind: 'markdown',
            createdAt: new Date().toISOString(),
          },
        ],
      }),
    );
  await made('rag-shared', [{ document: docs.one }, { document: docs.two }]);
  const one = await start(dirs.one, { RAG_MODULE_NAME: 'rag-one' });
  const two = await start(dirs.two, { RAG_MODULE_NAME: 'rag-two' });
  expect(await count('rag-shared', docs.one)).toBe(1);
  expect(await count('rag-shared', docs.two)).toBe(1);
  for (const p of [one, two]) expect(p.log()).not.toMatch(/sweep: removed/);
  // Not claimed by either: left unnamed, said in the log.
  expect(await metadata('rag-shared')).toBeUndefined();
  expect(one.log()).toMatch(/rag-shared holds 1 chunk of documents this rag does not know/);
}, 300_000);

it("an older collection holding only its rag's chunks is adopted: named in its metadata, then swept as any", async () => {
  const doc = randomUUID();
  const dir = tempDir('bp-rag-own-e-');
  writeFileSync(
    join(dir, 'documents.json'),
    JSON.stringify({
      documents: [
        {
          id: doc,
          source: 'old.md',
          collection: 'old',
          sha256: 'b'.repeat(64),
          chunks: 1,
          pages: null,
          bytes: 10,
          kind: 'markdown',
          createdAt: new Date().toISOString(),
        },
      ],
    }),
  );
  await made('rag-old', [{ document: doc }]);
  let p = await start(dir, { RAG_MODULE_NAME: 'rag-old' });
  expect(await metadata('rag-old')).toEqual({ 'blueprint-rag': 'rag-old' });
  await p.stop();
  // A late write of a document it does not know: swept at the next start.
  const stray = randomUUID();
  await vectors('PUT', '/collections/rag-old/points?wait=true', {
    points: [{ id: randomUUID(), vector, payload: { document: stray } }],
  });
  p = await start(dir, { RAG_MODULE_NAME: 'rag-old' });
  expect(p.log()).toMatch(/sweep: removed 1 chunk of documents rag does not know from rag-old/);
  expect(await count('rag-old', doc)).toBe(1);
  expect(await count('rag-old', stray)).toBe(0);
}, 300_000);
