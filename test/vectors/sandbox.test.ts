/**
 * The parts of the API that touch the sandbox's limits, on the installed package in Podman (FROM
 * scratch, read-only root, no network, pids and memory capped): a snapshot written to the data
 * folder, the collection deleted and restored equal; a payload index used for a filter; a body
 * large enough to be parsed by the worker thread; LangChain JS and LlamaIndex TS on the socket itself. The kill -9,
 * token, upgrade and removal paths are in e2e.test.ts. And, read from the kernel's side, that the
 * service's index lives in transparent huge pages (the manifest's GLIBC_TUNABLES; README#benchmark).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Document } from '@langchain/core/documents';
import { FakeEmbeddings } from '@langchain/core/utils/testing';
import { QdrantVectorStore } from '@langchain/qdrant';
import { BaseEmbedding } from '@llamaindex/core/embeddings';
import { TextNode } from '@llamaindex/core/schema';
import { QdrantVectorStore as LlamaQdrant } from '@llamaindex/qdrant';
import { QdrantClient } from '@qdrant/js-client-rest';
import { afterAll, describe, expect, it } from 'vitest';
import { makePackageSource } from '../../modules/vectors/package.js';
import { moduleE2E, podman } from '../helpers/module-e2e.js';
import { bridge, fetchThroughSocket } from './served.js';

const name = `vectors-sbx-${process.pid}`;
const e = moduleE2E({
  prefix: 'bp-vec-sbx-',
  install: [name],
  sources: async (work) => [(await makePackageSource({ out: join(work, 'src'), name })).dir],
});
let b: Awaited<ReturnType<typeof bridge>> | undefined;
afterAll(async () => {
  await b?.close();
  await e.blueprint('service', 'stop', name).catch(() => undefined);
});

const vec = (i: number, d: number) => Array.from({ length: d }, (_, k) => Math.sin(i * 13 + k));
/** A LlamaIndex store needs an embedding model; the test gives its nodes their vectors itself. */
const embeddingModel = new (class extends BaseEmbedding {
  // biome-ignore lint/complexity/noUselessConstructor: BaseEmbedding's constructor is protected; this one is public
  constructor() {
    super();
  }
  async getTextEmbedding() {
    return vec(0, 32);
  }
})();

describe('vectors in its sandbox', () => {
  it('snapshot → delete → restore equal; payload index; a large body in the worker; LangChain and LlamaIndex on the socket', async () => {
    expect(await e.blueprint('service', 'start', name)).toMatchObject({ healthy: true });
    b = await bridge(e.socket(name));
    const client = new QdrantClient({ url: b.url, checkCompatibility: false });
    // biome-ignore lint/suspicious/noExplicitAny: the answer is checked field by field
    const telemetry = async () => (await e.call(name, 'GET', '/telemetry')).body as any;

    await client.createCollection('s', {
      vectors: { size: 32, distance: 'Cosine' },
      metadata: { model: 'm1' },
    });
    await client.updateCollection('s', { metadata: { dims: 32 } });
    // ~1.3 MB of JSON: over the 256 KiB threshold, so parsed by the worker thread in the container.
    const points = Array.from({ length: 2000 }, (_, i) => ({
      id: i,
      vector: vec(i, 32),
      payload: { group: `g${i % 50}`, i },
    }));
    await client.upsert('s', { wait: true, points });
    expect((await telemetry()).result.requests.bodies_parsed_off_loop).toBeGreaterThan(0);

    await client.createPayloadIndex('s', { field_name: 'group', field_schema: 'keyword', wait: true });
    const filter = { must: [{ key: 'group', match: { value: 'g7' } }] };
    const before = await client.query('s', { query: vec(7, 32), filter, limit: 5, with_payload: true });
    expect(before.points.map((p) => p.id)).toContain(7);
    expect(before.points.every((p) => (p.payload as { group: string }).group === 'g7')).toBe(true);
    const t = (await telemetry()).result.collections.collections.find((c: { id: string }) => c.id === 's');
    expect(t.filters.by_payload_index).toBeGreaterThan(0);

    const snap = await client.createSnapshot('s');
    expect(snap?.name).toMatch(/\.snapshot$/);
    await client.deleteCollection('s');
    expect((await client.collectionExists('s')).exists).toBe(false);
    await client.recoverSnapshot('s', {
      location: `file:///var/lib/vectors/db/snapshots/${Buffer.from('s').toString('hex')}/${snap!.name}`,
    });
    expect((await client.count('s')).count).toBe(2000);
    const after = await client.query('s', { query: vec(7, 32), filter, limit: 5, with_payload: true });
    expect(after).toEqual(before);
    expect((await client.getCollection('s')).payload_schema.group).toMatchObject({ data_type: 'keyword' });
    expect((await client.getCollection('s')).config.metadata).toEqual({ model: 'm1', dims: 32 });

    // A Greek stemmer's text index: multilingual-stemmer's WebAssembly, shipped in the image.
    await client.createCollection('gr', { vectors: { size: 32, distance: 'Cosine' } });
    await client.upsert('gr', {
      wait: true,
      points: ['Οι άνθρωποι τρέχουν', 'ο δρόμος'].map((t, i) => ({
        id: i,
        vector: vec(i, 32),
        payload: { t },
      })),
    });
    await client.createPayloadIndex('gr', {
      field_name: 't',
      field_schema: { type: 'text', stemmer: { type: 'snowball', language: 'greek' } },
      wait: true,
    });
    const greek = await client.scroll('gr', {
      filter: { must: [{ key: 't', match: { text: 'ανθρώπων' } }] },
    });
    expect(greek.points.map((p) => p.id)).toEqual([0]);

    // LangChain through the socket itself (no bridge): fetch sent through an undici Agent on it.
    const undo = fetchThroughSocket(e.socket(name));
    try {
      const store = await QdrantVectorStore.fromDocuments(
        [new Document({ pageContent: 'hello', metadata: { k: 1 } })],
        new FakeEmbeddings(),
        { url: 'http://vectors.socket:6333', collectionName: 'lc' },
      );
      const [doc] = await store.similaritySearch('hello', 1);
      expect(doc).toMatchObject({ pageContent: 'hello', metadata: { k: 1 } });
      // LlamaIndex TS the same way: a node stored and found again, rebuilt from its payload.
      const li = new LlamaQdrant({ url: 'http://vectors.socket:6333', collectionName: 'li', embeddingModel });
      const node = new TextNode({ text: 'hello llama', metadata: { k: 2 }, embedding: vec(3, 32) });
      await li.add([node]);
      const found = await li.query({
        queryEmbedding: vec(3, 32),
        similarityTopK: 1,
        mode: 'default' as never,
      });
      expect(found.ids).toEqual([node.id_]);
      expect(found.nodes![0]).toMatchObject({ text: 'hello llama', metadata: { k: 2 } });
    } finally {
      await undo();
    }
  }, 300_000);

  // The manifest's GLIBC_TUNABLES=glibc.malloc.hugetlb=1: glibc madvise(MADV_HUGEPAGE)s what malloc
  // takes from the kernel, so the graph and the vectors get 2 MiB pages where the host's THP mode is
  // `madvise` (hnswlib's walk is TLB-bound). Checked in the running container's /proc, as the
  // kernel sees it: a mapping flagged `hg` (VM_HUGEPAGE: only madvise sets it), and huge pages in
  // use unless the host's mode is `never`.
  const thpMode = '/sys/kernel/mm/transparent_hugepage/enabled';
  it.skipIf(!existsSync(thpMode))(
    'the loaded index is in transparent huge pages (madvised by glibc in the sandbox)',
    async () => {
      // Independent of the test above, which leaves the service running.
      if (!b) {
        expect(await e.blueprint('service', 'start', name)).toMatchObject({ healthy: true });
        b = await bridge(e.socket(name));
      }
      const c = new QdrantClient({ url: b.url, checkCompatibility: false });
      await c.createCollection('thp', { vectors: { size: 64, distance: 'Cosine' } });
      // ~16 MiB of graph and vectors: 20,000 points of 64 dimensions, in batches of 2,000.
      for (let i = 0; i < 20_000; i += 2000)
        await c.upsert('thp', {
          wait: true,
          points: Array.from({ length: 2000 }, (_, j) => ({ id: i + j, vector: vec(i + j, 64) })),
        });
      expect((await c.count('thp')).count).toBe(20_000);
      const pid = (await podman('inspect', '--format', '{{.State.Pid}}', `blueprint-${name}`)).trim();
      expect(Number(pid)).toBeGreaterThan(0);
      const smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8').split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/);
      const kb = (m: string, field: string) =>
        Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(m)?.[1] ?? 0);
      const madvised = smaps.filter((m) => /^VmFlags:.* hg( |$)/m.test(m));
      expect(
        madvised.reduce((a, m) => a + kb(m, 'Rss'), 0),
        'kB resident in MADV_HUGEPAGE mappings',
      ).toBeGreaterThan(8 * 1024);
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      if (!readFileSync(thpMode, 'utf8').includes('[never]'))
        expect(
          kb(rollup, 'AnonHugePages'),
          `AnonHugePages of the service:\n${rollup}`,
        ).toBeGreaterThanOrEqual(4 * 1024);
    },
    120_000,
  );
});
