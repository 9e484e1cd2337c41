/**
 * LangChain JS against the service, unchanged: @langchain/qdrant's QdrantVectorStore (which builds
 * its own @qdrant/js-client-rest client from a URL and an API key) over the unix socket, with no TCP
 * bridge. The Qdrant client calls the global fetch with its own undici Agent; an application that
 * wants the socket replaces fetch with one that sends every request through an undici Agent
 * connected to the socket, as here. The embeddings are a small deterministic class (hashed words),
 * so the nearest documents are known without a model.
 */
import { Document } from '@langchain/core/documents';
import { Embeddings } from '@langchain/core/embeddings';
import { QdrantVectorStore } from '@langchain/qdrant';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashedWords, tokenServedThroughFetch } from './served.js';

const DIM = 64;
/** The hashed bag of words of served.ts, as a LangChain Embeddings class. */
class HashedWords extends Embeddings {
  constructor() {
    super({});
  }
  embed(text: string): number[] {
    return hashedWords(text, DIM);
  }
  async embedDocuments(texts: string[]) {
    return texts.map((t) => this.embed(t));
  }
  async embedQuery(text: string) {
    return this.embed(text);
  }
}

const token = 'langchain-test-token-0123456789';
const service = tokenServedThroughFetch(token);
beforeAll(() => service.start(), 60_000);
afterAll(() => service.stop());

const docs = [
  new Document({ pageContent: 'the cat sat on the warm mat', metadata: { source: 'a', n: 1 } }),
  new Document({ pageContent: 'dogs chase cats in the garden', metadata: { source: 'b', n: 2 } }),
  new Document({ pageContent: 'a recipe for bread with flour and yeast', metadata: { source: 'b', n: 3 } }),
  new Document({ pageContent: 'the stock market fell on monday', metadata: { source: 'c', n: 4 } }),
  new Document({ pageContent: 'bread and butter for breakfast', metadata: { source: 'a', n: 5 } }),
];
const config = { url: 'http://vectors.socket:6333', apiKey: token, collectionName: 'lc' };

describe('LangChain JS (@langchain/qdrant) over the socket', () => {
  it('refuses a client without the API key', async () => {
    const anon = new QdrantVectorStore(new HashedWords(), { ...config, apiKey: undefined });
    await expect(anon.similaritySearch('cat', 1)).rejects.toMatchObject({ status: 401 });
  });

  it('fromDocuments, similaritySearch (with scores and with a filter), delete by ids and by filter', async () => {
    const embeddings = new HashedWords();
    const store = await QdrantVectorStore.fromDocuments(docs, embeddings, config);
    // The collection it created: size from the embeddings, Cosine.
    const info = await store.client.getCollection('lc');
    expect(info.config.params.vectors).toEqual({ size: DIM, distance: 'Cosine' });
    expect(info.points_count).toBe(5);

    // Each document is its own nearest neighbour, with the content and metadata LangChain stored.
    for (const d of docs) {
      const [[top, score]] = (await store.similaritySearchWithScore(d.pageContent, 1)) as [
        [Document, number],
      ];
      expect(top.pageContent).toBe(d.pageContent);
      expect(top.metadata).toEqual(d.metadata);
      expect(score).toBeCloseTo(1, 5);
    }
    // Scores in order, and they are the cosine of our embeddings.
    const q = 'bread for breakfast';
    const scored = await store.similaritySearchWithScore(q, 5);
    expect(scored.map(([, s]) => s)).toEqual([...scored.map(([, s]) => s)].sort((a, b) => b - a));
    const qv = embeddings.embed(q);
    for (const [doc, s] of scored) {
      const dv = embeddings.embed(doc.pageContent);
      expect(s).toBeCloseTo(
        dv.reduce((a, x, i) => a + x * qv[i]!, 0),
        5,
      );
    }
    expect(scored[0]![0].pageContent).toBe('bread and butter for breakfast');

    // A Qdrant filter on the metadata LangChain nests under "metadata".
    const onlyB = await store.similaritySearch(q, 5, {
      must: [{ key: 'metadata.source', match: { value: 'b' } }],
    });
    expect(onlyB.map((d) => d.metadata.n).sort()).toEqual([2, 3]);
    expect(onlyB[0]!.pageContent).toMatch(/bread/);

    // addDocuments with our own ids, then delete by those ids and by a filter.
    const ids = ['5c56c793-69f3-4fbf-87e6-c4bf54c28c26', 'a0b1c2d3-0000-4000-8000-000000000001'];
    await store.addDocuments(
      [
        new Document({ pageContent: 'tea with milk', metadata: { source: 'd', n: 6 } }),
        new Document({ pageContent: 'green tea leaves', metadata: { source: 'd', n: 7 } }),
      ],
      { ids },
    );
    expect((await store.similaritySearch('green tea leaves', 1))[0]!.id).toBe(ids[1]);
    await store.delete({ ids: [ids[1]!] });
    expect((await store.client.count('lc')).count).toBe(6);
    expect((await store.similaritySearch('green tea leaves', 1))[0]!.id).not.toBe(ids[1]);
    await store.delete({ filter: { must: [{ key: 'metadata.source', match: { value: 'a' } }] } });
    expect((await store.client.count('lc')).count).toBe(4);
    const left = await store.similaritySearch('the cat sat on the warm mat', 10);
    expect(left.some((d) => d.metadata.source === 'a')).toBe(false);

    // A second store on the same collection (as an application restarted) sees the same data.
    const again = await QdrantVectorStore.fromExistingCollection(embeddings, config);
    expect((await again.similaritySearch('tea with milk', 1))[0]!.id).toBe(ids[0]);
  });

  it('maxMarginalRelevanceSearch: the second pick is not a copy of the first', async () => {
    const same = 'bread and butter for breakfast';
    const store = await QdrantVectorStore.fromDocuments(
      [
        new Document({ pageContent: same, metadata: { n: 1 } }),
        new Document({ pageContent: same, metadata: { n: 2 } }),
        new Document({ pageContent: 'a recipe for bread with flour and yeast', metadata: { n: 3 } }),
        new Document({ pageContent: 'the stock market fell on monday', metadata: { n: 4 } }),
      ],
      new HashedWords(),
      { ...config, collectionName: 'lc-mmr' },
    );
    const plain = await store.similaritySearch(same, 2);
    expect(plain.map((d) => d.pageContent)).toEqual([same, same]);
    // LangChain sends its lambda as Qdrant's diversity.
    const diverse = await store.maxMarginalRelevanceSearch(same, { k: 2, fetchK: 4, lambda: 0.7 });
    expect(diverse).toHaveLength(2);
    expect(diverse[0]!.pageContent).toBe(same);
    expect(diverse[1]!.pageContent).not.toBe(same);
  });
});
