/**
 * A `text` payload index's parameters that Qdrant 1.15+ takes, served as its source
 * (lib/segment/src/index/field_index/full_text_index/) means them, through the real
 * @qdrant/js-client-rest against the service's bundle in its own process: `stemmer` (Snowball),
 * `stopwords` (a language, or languages and custom words), `ascii_folding`, and `match.phrase` with
 * `phrase_matching` (its cases are Qdrant's own tests/openapi/test_phrase_matching.py). Before,
 * each was a 400. The parameters survive a restart and a snapshot restore; work on long words,
 * huge stop-word lists and long phrases stays bounded.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { textParams } from '../../modules/vectors/server/text-params.js';
import { client, dataDir, raw, restartVectors, withVectorsService } from './qdrant-setup.js';

withVectorsService();

async function ids(c: string, key: string, match: Record<string, string>): Promise<number[]> {
  const page = await client.scroll(c, { filter: { must: [{ key, match }] }, limit: 100 });
  return page.points.map((p) => p.id as number).sort((a, b) => a - b);
}

async function collection(c: string, texts: string[]): Promise<void> {
  await client.createCollection(c, { vectors: { size: 2, distance: 'Dot' } });
  await client.upsert(c, {
    wait: true,
    points: texts.map((t, i) => ({ id: i + 1, vector: [1, i], payload: { t } })),
  });
}

const index = (c: string, field_schema: Record<string, unknown>) =>
  raw('PUT', `/collections/${c}/index?wait=true`, {
    field_name: 't',
    field_schema: { type: 'text', ...field_schema },
  });

describe('text index parameters, as Qdrant serves them', () => {
  it("stemmer: Snowball's stem of each token, the query's too", async () => {
    await collection('stem', ['He was running', 'she runs daily', 'the runner', 'Häuser und Hauses']);
    expect((await index('stem', { stemmer: { type: 'snowball', language: 'english' } })).status).toBe(200);
    expect(await ids('stem', 't', { text: 'run' })).toEqual([1, 2]);
    expect(await ids('stem', 't', { text: 'RUNS' })).toEqual([1, 2]);
    expect(await ids('stem', 't', { text: 'runner' })).toEqual([3]);
    // Qdrant's alias "de", and {"type": "none"}: no stemming.
    await client.deletePayloadIndex('stem', 't', { wait: true });
    expect((await index('stem', { stemmer: { type: 'snowball', language: 'de' } })).status).toBe(200);
    expect(await ids('stem', 't', { text: 'haus' })).toEqual([4]);
    await client.deletePayloadIndex('stem', 't', { wait: true });
    expect((await index('stem', { stemmer: { type: 'none' } })).status).toBe(200);
    expect(await ids('stem', 't', { text: 'run' })).toEqual([]);
  });

  it("stemmer greek: Qdrant's rust-stemmers stem of each word (Snowball's Greek word list, sampled)", async () => {
    // greek-stems.json: every 60th word of snowball-data's greek/voc.txt and the stems Qdrant's own
    // rust-stemmers fork (1.2.1, built here) gives them, and "ισα" in its spellings, the one word of
    // the 90,727 whose stem differs in current Snowball ("ισ"; Qdrant's older Greek: "").
    const want = JSON.parse(readFileSync(new URL('./greek-stems.json', import.meta.url), 'utf8'));
    const stem = textParams({ type: 'text', stemmer: { type: 'snowball', language: 'el' } })!.stem!;
    const got = Object.fromEntries(Object.keys(want).map((w) => [w, stem(w)]));
    expect(got).toEqual(want);
    await collection('gr', ['Οι άνθρωποι τρέχουν', 'του ανθρώπου', 'ο δρόμος']);
    expect((await index('gr', { stemmer: { type: 'snowball', language: 'greek' } })).status).toBe(200);
    expect(await ids('gr', 't', { text: 'ανθρώπων' })).toEqual([1, 2]);
    expect(await ids('gr', 't', { text: 'δρόμους' })).toEqual([3]);
  });

  it('stopwords: a language, or languages and custom words, dropped from values and queries', async () => {
    await collection('stop', ['a cat sat', 'the dog', 'Das Haus']);
    expect((await index('stop', { stopwords: 'english' })).status).toBe(200);
    expect(await ids('stop', 't', { text: 'the cat' })).toEqual([1]); // "the" is no token
    expect(await ids('stop', 't', { text: 'the' })).toEqual([]); // no token at all: no match
    await client.deletePayloadIndex('stop', 't', { wait: true });
    const set = { stopwords: { languages: ['en', 'german'], custom: ['CAT'] } };
    expect((await index('stop', set)).status).toBe(200);
    expect(await ids('stop', 't', { text: 'cat sat' })).toEqual([1]); // custom lowercased as the index
    expect(await ids('stop', 't', { text: 'das haus' })).toEqual([3]);
    expect(await ids('stop', 't', { text: 'cat' })).toEqual([]);
  });

  it("ascii_folding: Qdrant's table (Lucene's), before lowercasing", async () => {
    await collection('fold', ['Café au lait', 'Straße', 'Łódź', 'cafe']);
    expect((await index('fold', { ascii_folding: true })).status).toBe(200);
    expect(await ids('fold', 't', { text: 'CAFÉ' })).toEqual([1, 4]);
    expect(await ids('fold', 't', { text: 'strasse' })).toEqual([2]);
    expect(await ids('fold', 't', { text: 'lodz' })).toEqual([3]);
  });

  it('min_token_len counts characters, as Qdrant since 1.15.2 (before: bytes)', async () => {
    await collection('len', ['Größe', 'Straße']);
    expect((await index('len', { min_token_len: 6 })).status).toBe(200);
    expect(await ids('len', 't', { text: 'größe' })).toEqual([]); // 5 characters (7 bytes): no token
    expect(await ids('len', 't', { text: 'straße' })).toEqual([2]);
  });

  it("whitespace splits at Unicode's White_Space, as Rust's split_whitespace", async () => {
    // U+0085 (next line) is white space there, U+FEFF (byte order mark) is not; JavaScript's \s
    // has them the other way round.
    await collection('ws', ['one\u0085two', 'three\uFEFFfour']);
    expect((await index('ws', { tokenizer: 'whitespace' })).status).toBe(200);
    expect(await ids('ws', 't', { text: 'two' })).toEqual([1]);
    expect(await ids('ws', 't', { text: 'four' })).toEqual([]);
    expect(await ids('ws', 't', { text: 'three\uFEFFfour' })).toEqual([2]);
  });

  it("match.phrase with phrase_matching: Qdrant's own cases", async () => {
    const phrases = [
      'the quick brown fox jumps over the lazy dog',
      'a quick brown cat runs through the garden',
      'the brown fox is very quick and agile',
      'lazy dogs sleep all day long',
      'machine learning algorithms are powerful tools',
      'natural language processing with transformers',
      'the artificial intelligence revolution',
      'deep learning neural networks',
      'brown sugar and quick oats',
      'New York City is a bustling metropolis',
      'writing tests is very very very important',
    ];
    await collection('phr', phrases);
    // Without an index: a substring, as Qdrant's payload check.
    expect(await ids('phr', 't', { phrase: 'quick brown' })).toEqual([1, 2]);
    // A text index without phrase_matching keeps no positions: Qdrant matches nothing.
    expect((await index('phr', {})).status).toBe(200);
    expect(await ids('phr', 't', { phrase: 'quick brown' })).toEqual([]);
    await client.deletePayloadIndex('phr', 't', { wait: true });
    expect((await index('phr', { tokenizer: 'word', phrase_matching: true })).status).toBe(200);
    for (const [phrase, want] of [
      ['quick brown fox', [1]],
      ['quick brown bird', []],
      ['brown quick', []],
      ['quick brown', [1, 2]],
      ['brown', [1, 2, 3, 9]],
      ['machine learning algorithms are powerful tools', [5]],
      ['', []],
      ['very very very', [11]],
      ['very very very very', []],
    ] as const)
      expect(await ids('phr', 't', { phrase }), phrase).toEqual(want);
    const n = await client.count('phr', {
      filter: { must: [{ key: 't', match: { phrase: 'quick brown' } }] },
    });
    expect(n.count).toBe(2);
  });

  it("match.text_any (Qdrant's, since 1.15.4): any token of the query; without an index any word as a substring", async () => {
    await collection('any', ['red apples', 'green pears', 'blue sky', 'reddish']);
    expect(await ids('any', 't', { text_any: 'red pear' })).toEqual([1, 2, 4]);
    expect((await index('any', { stemmer: { type: 'snowball', language: 'english' } })).status).toBe(200);
    expect(await ids('any', 't', { text_any: 'RED pear nothing' })).toEqual([1, 2]);
    expect(await ids('any', 't', { text_any: 'nothing' })).toEqual([]);
    expect(await ids('any', 't', { text_any: '' })).toEqual([]);
  });

  it('what no real library here gives the same is still a 400 naming it', async () => {
    await collection('no', ['x']);
    for (const [schema, named] of [
      [{ tokenizer: 'multilingual' }, /multilingual/],
      [{ stemmer: { type: 'snowball', language: 'klingon' } }, /klingon/],
      [{ stopwords: 'klingon' }, /klingon/],
      [{ stopwords: { custom: [1] } }, /stopwords/],
    ] as const) {
      const r = await index('no', schema);
      expect(r.status, JSON.stringify(schema)).toBe(400);
      expect(r.json.status.error).toMatch(named);
    }
    expect((await client.getCollection('no')).payload_schema.t).toBeUndefined();
  });

  it('the parameters survive a restart and a snapshot restore', async () => {
    const schema = {
      stemmer: { type: 'snowball', language: 'english' },
      stopwords: { languages: ['english'], custom: ['sat'] },
      ascii_folding: true,
      phrase_matching: true,
    };
    await collection('keep', ['Cafés were running', 'running the cafe sat']);
    expect((await index('keep', schema)).status).toBe(200);
    const check = async (c: string) => {
      expect(await ids(c, 't', { text: 'cafe run' })).toEqual([1, 2]);
      expect(await ids(c, 't', { phrase: 'café were run' })).toEqual([1]);
      expect(await ids(c, 't', { phrase: 'run sat the cafés' })).toEqual([2]); // "sat", "the": no tokens
      expect((await client.getCollection(c)).payload_schema.t?.params).toMatchObject(schema);
    };
    await check('keep');
    const snap = await client.createSnapshot('keep');
    await restartVectors();
    await check('keep');
    const location = `file://${dataDir}/snapshots/${Buffer.from('keep').toString('hex')}/${snap!.name}`;
    await client.deleteCollection('keep');
    expect(await client.recoverSnapshot('keep', { location, checksum: snap!.checksum! })).toBe(true);
    await check('keep');
  }, 60_000);

  it('long words, a huge stop-word list and a long phrase stay bounded work', async () => {
    // A 300,000-letter word: Snowball's Dutch prelude is quadratic on it (minutes in JS).
    const long = 'é'.repeat(300_000);
    await collection('big', [`${long} huis`, 'de huizen']);
    expect((await index('big', { stemmer: { type: 'snowball', language: 'dutch' } })).status).toBe(200);
    expect(await ids('big', 't', { text: 'huis' })).toEqual([1]);
    expect(await ids('big', 't', { text: 'huizen' })).toEqual([2]);
    expect(await ids('big', 't', { text: long })).toEqual([1]);
    // 200,000 custom stop words, built once for the index, not once per value or query.
    await client.deletePayloadIndex('big', 't', { wait: true });
    const custom = Array.from({ length: 200_000 }, (_, i) => `w${i}`);
    const made = await index('big', { stopwords: { custom: [...custom, 'de'] } });
    expect(made.json, JSON.stringify(made.json).slice(0, 300)).toMatchObject({ status: 'ok' });
    for (let i = 0; i < 20; i++) expect(await ids('big', 't', { text: 'huizen' })).toEqual([2]);
    // A phrase of 100,000 words against a value of 200,000: linear, not their product.
    await client.deletePayloadIndex('big', 't', { wait: true });
    const words = Array.from({ length: 200_000 }, () => 'a').join(' ');
    await client.upsert('big', {
      wait: true,
      points: [{ id: 3, vector: [1, 3], payload: { t: `${words} b` } }],
    });
    expect((await index('big', { phrase_matching: true })).status).toBe(200);
    const phrase = `${Array.from({ length: 100_000 }, () => 'a').join(' ')} b`;
    expect(await ids('big', 't', { phrase })).toEqual([3]);
    expect(await ids('big', 't', { phrase: `b ${phrase}` })).toEqual([]);
  }, 60_000);
});
