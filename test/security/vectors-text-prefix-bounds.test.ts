/**
 * `match.text` on a field with a `prefix` text index and no max_token_len (Qdrant's default: every
 * prefix of a word is a token). The service evaluated it by building every prefix of every word of
 * each stored value, for every point a filter looked at, on the main thread: a word of n characters
 * made n strings of n²/2 characters in all (40,000 characters: 11.6 s and 1.6 GB for one value), so
 * one stored value of 300,000 letters (0.3 MB of a 32 MB body) and one filtered request ran the
 * service out of heap (the whole service gone). Now a query's tokens are looked up in each value's
 * words, no prefix built: the answers are Qdrant's (tokenizers.rs PrefixTokenizer: the word
 * lowercased, then its prefixes) and the work is linear in the value.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { client, raw, withVectorsService } from '../vectors/qdrant-setup.js';

withVectorsService();

const long = 'x'.repeat(300_000);

beforeAll(async () => {
  await client.createCollection('p', { vectors: { size: 2, distance: 'Cosine' } });
  await client.createPayloadIndex('p', {
    field_name: 'a',
    field_schema: { type: 'text', tokenizer: 'prefix' },
    wait: true,
  });
  await client.createPayloadIndex('p', {
    field_name: 'b',
    field_schema: { type: 'text', tokenizer: 'prefix', min_token_len: 3, max_token_len: 5 },
    wait: true,
  });
  const texts = ['Hello World', long, 'HELLO there', `y${long}`, 'Größe straße'];
  await client.upsert('p', {
    wait: true,
    points: texts.map((t, i) => ({ id: i + 1, vector: [1, i + 1], payload: { a: t, b: t } })),
  });
}, 60_000);

async function ids(key: string, text: string): Promise<number[]> {
  const r = await raw('POST', '/collections/p/points/scroll', {
    filter: { must: [{ key, match: { text } }] },
    limit: 100,
    with_payload: false,
  });
  expect(r.status).toBe(200);
  return r.json.result.points.map((p: { id: number }) => p.id);
}

describe('vectors: match.text on a prefix text index, values with long words', () => {
  it('answers as Qdrant, the service still up', async () => {
    expect(await ids('a', 'hel')).toEqual([1, 3]);
    expect(await ids('a', 'HELLO')).toEqual([1, 3]);
    expect(await ids('a', 'hellos')).toEqual([]);
    expect(await ids('a', 'wor hel')).toEqual([1]);
    expect(await ids('a', 'xxx')).toEqual([2]);
    expect(await ids('a', long)).toEqual([2]);
    expect(await ids('a', `${long}x`)).toEqual([]);
    expect(await ids('a', 'grö STRA')).toEqual([5]);
    // min 3, max 5: prefixes of 3 to 5 characters; a longer query word is cut to 5.
    expect(await ids('b', 'he')).toEqual([]);
    expect(await ids('b', 'hel')).toEqual([1, 3]);
    expect(await ids('b', 'helloworld')).toEqual([1, 3]);
    expect(await ids('b', 'xxxxxxxx')).toEqual([2]);
    expect(await ids('b', 'yxx')).toEqual([4]);
  }, 120_000);
});
