/**
 * LlamaIndex TS against the service, unchanged: @llamaindex/qdrant's QdrantVectorStore (it builds
 * its own @qdrant/js-client-rest client from a URL and an API key) over the unix socket, with no
 * TCP bridge: as for LangChain, the application sends the global fetch through an undici Agent
 * connected to the socket. Nodes are stored with LlamaIndex's own metadata (the serialised node,
 * doc_id / ref_doc_id), queried by embedding with LlamaIndex's metadata filters (which the store
 * turns into Qdrant filters: match value / any / except / text, range, nested must, should), by
 * document ids, and deleted by reference document. Embeddings: the hashed bag of words of served.ts.
 */
import { BaseEmbedding } from '@llamaindex/core/embeddings';
import { type Metadata, NodeRelationship, TextNode } from '@llamaindex/core/schema';
import type { MetadataFilters } from '@llamaindex/core/vector-store';
import { QdrantVectorStore } from '@llamaindex/qdrant';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashedWords, tokenServedThroughFetch } from './served.js';

const DIM = 64;
/** The hashed bag of words of served.ts as a LlamaIndex embedding model (a store needs one). */
class HashedWords extends BaseEmbedding {
  // biome-ignore lint/complexity/noUselessConstructor: BaseEmbedding's constructor is protected; this one is public
  constructor() {
    super();
  }
  async getTextEmbedding(text: string) {
    return hashedWords(text, DIM);
  }
}
type Query = Parameters<QdrantVectorStore['query']>[0];
const token = 'llamaindex-test-token-0123456789';
const service = tokenServedThroughFetch(token);
beforeAll(() => service.start(), 60_000);
afterAll(() => service.stop());

const config = {
  url: 'http://vectors.socket:6333',
  apiKey: token,
  collectionName: 'li',
  embeddingModel: new HashedWords(),
};
/** Two source documents, their chunks as LlamaIndex nodes (ids are LlamaIndex's random UUIDs). */
const DOC_A = 'doc-a';
const DOC_B = 'doc-b';
const chunks: [string, string, { source: string; n: number }][] = [
  [DOC_A, 'the cat sat on the warm mat', { source: 'a', n: 1 }],
  [DOC_B, 'dogs chase cats in the garden', { source: 'b', n: 2 }],
  [DOC_B, 'a recipe for bread with flour and yeast', { source: 'b', n: 3 }],
  [DOC_A, 'the stock market fell on monday', { source: 'c', n: 4 }],
  [DOC_A, 'bread and butter for breakfast', { source: 'a', n: 5 }],
];
const nodes = () =>
  chunks.map(
    ([doc, text, metadata]) =>
      new TextNode<Metadata>({
        text,
        metadata,
        embedding: hashedWords(text, DIM),
        relationships: { [NodeRelationship.SOURCE]: { nodeId: doc, metadata: {} } },
      }),
  );
const ask = (text: string, similarityTopK: number, more: Partial<Query> = {}): Query => ({
  queryEmbedding: hashedWords(text, DIM),
  similarityTopK,
  mode: 'default' as Query['mode'],
  ...more,
});
const texts = (r: { nodes?: unknown[] }) => (r.nodes as TextNode[]).map((n) => n.text);

describe('LlamaIndex TS (@llamaindex/qdrant) over the socket', () => {
  it('refuses a store without the API key', async () => {
    const anon = new QdrantVectorStore({ ...config, apiKey: undefined });
    await expect(anon.query(ask('cat', 1))).rejects.toMatchObject({ status: 401 });
  });

  it('add nodes, query them back with scores, metadata filters and doc ids, delete by document', async () => {
    const store = new QdrantVectorStore(config);
    const added = nodes();
    const ids = await store.add(added);
    expect(ids).toEqual(added.map((n) => n.id_));
    // The collection the store created: size from the first embedding, Cosine; the ids are UUIDs.
    const info = await store.client().getCollection('li');
    expect(info.config.params.vectors).toEqual({ size: DIM, distance: 'Cosine' });
    expect(info.points_count).toBe(5);

    // Each node is its own nearest, rebuilt by LlamaIndex from the payload it stored.
    for (const n of added) {
      const r = await store.query(ask(n.text, 1));
      expect(r.ids).toEqual([n.id_]);
      expect(r.similarities[0]).toBeCloseTo(1, 5);
      const back = r.nodes![0] as TextNode;
      expect(back).toBeInstanceOf(TextNode);
      expect(back.text).toBe(n.text);
      expect(back.metadata).toEqual(n.metadata);
      expect(back.sourceNode?.nodeId).toBe(n.sourceNode?.nodeId);
    }
    // Scores in order, and they are the cosine of our embeddings.
    const q = 'bread for breakfast';
    const all = await store.query(ask(q, 5));
    expect(all.similarities).toEqual([...all.similarities].sort((a, b) => b - a));
    const qv = hashedWords(q, DIM);
    for (const [i, t] of texts(all).entries())
      expect(all.similarities[i]).toBeCloseTo(
        hashedWords(t, DIM).reduce((a, x, k) => a + x * qv[k]!, 0),
        5,
      );
    expect(texts(all)[0]).toBe('bread and butter for breakfast');

    // LlamaIndex metadata filters, each against what it must leave.
    const filtered = async (filters: MetadataFilters) =>
      (await store.query(ask(q, 5, { filters }))).nodes!.map((n) => (n.metadata as { n: number }).n).sort();
    expect(await filtered({ filters: [{ key: 'source', value: 'b', operator: '==' }] })).toEqual([2, 3]);
    expect(await filtered({ filters: [{ key: 'n', value: 3, operator: '==' }] })).toEqual([3]);
    expect(await filtered({ filters: [{ key: 'source', value: ['a', 'c'], operator: 'in' }] })).toEqual([
      1, 4, 5,
    ]);
    expect(await filtered({ filters: [{ key: 'source', value: ['a', 'c'], operator: 'nin' }] })).toEqual([
      2, 3,
    ]);
    expect(await filtered({ filters: [{ key: 'source', value: 'a', operator: '!=' }] })).toEqual([2, 3, 4]);
    expect(await filtered({ filters: [{ key: 'n', value: 3, operator: '>' }] })).toEqual([4, 5]);
    expect(await filtered({ filters: [{ key: 'n', value: 2, operator: '<=' }] })).toEqual([1, 2]);
    expect(
      await filtered({
        filters: [
          { key: 'source', value: 'a', operator: '==' },
          { key: 'n', value: 2, operator: '>' },
        ],
      }),
    ).toEqual([5]);
    expect(
      await filtered({
        condition: 'or',
        filters: [
          { key: 'source', value: 'c', operator: '==' },
          { key: 'n', value: 2, operator: '<' },
        ],
      }),
    ).toEqual([1, 4]);
    // TEXT_MATCH becomes Qdrant's match.text on the node's serialised content field.
    expect(
      await filtered({ filters: [{ key: '_node_content', value: 'yeast', operator: 'text_match' }] }),
    ).toEqual([3]);
    // By source document ids (payload doc_id), as a query engine restricted to documents does.
    expect(texts(await store.query(ask(q, 5, { docIds: [DOC_B] }))).sort()).toEqual([
      'a recipe for bread with flour and yeast',
      'dogs chase cats in the garden',
    ]);

    // Deleting a reference document removes its nodes only.
    await store.delete(DOC_A);
    expect((await store.client().count('li')).count).toBe(2);
    const left = await store.query(ask('the cat sat on the warm mat', 10));
    expect(texts(left).sort()).toEqual([
      'a recipe for bread with flour and yeast',
      'dogs chase cats in the garden',
    ]);

    // A second store on the same collection (an application restarted) finds it and adds to it.
    const again = new QdrantVectorStore(config);
    const tea = new TextNode({
      text: 'green tea leaves',
      metadata: { source: 'd', n: 6 },
      embedding: hashedWords('green tea leaves', DIM),
    });
    await again.add([tea]);
    expect((await again.query(ask('green tea leaves', 1))).ids).toEqual([tea.id_]);
    expect((await again.client().count('li')).count).toBe(3);
  });
});
