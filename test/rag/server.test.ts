/**
 * The rag service bundle as its own process against the REAL embeddings (GloVe), vectors and llm
 * (tiny llama) bundles, each in its own process on a unix socket, wired as the services layer
 * wires them (BLUEPRINT_USES_*_SOCKET). No mocks: retrieval quality comes from GloVe's meaning,
 * chunk counts from the vectors service, answers from llama.cpp.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve as serveEmbeddings } from '../embeddings/served.js';
import { corpus, questions } from '../fixtures/rag/corpus.js';
import { tempDir } from '../setup/temp-registry.js';
import { http, type Proc, type Stack, startRag, startStack } from './server-harness.js';

let stack: Stack;
let rag: Proc;
let dataDir: string;
const ids = new Map<string, string>();

type Doc = {
  id: string;
  source: string;
  chunks: number;
  pages: number | null;
  duplicate: boolean;
  sha256: string;
};
type ApiError = { error: { message: string; param: string | null } };
type Hit = {
  document: string;
  source: string;
  page: number | null;
  heading: string | null;
  text: string;
  score: number;
};

/** Points of a document in the vectors service, counted there. */
async function pointsOf(document: string, collection = 'default'): Promise<number> {
  const r = await http(stack.vectors.socket, 'POST', `/collections/rag-${collection}/points/count`, {
    filter: { must: [{ key: 'document', match: { value: document } }] },
    exact: true,
  });
  return (r.json as { result: { count: number } }).result.count;
}

const ingest = (
  socket: string,
  source: string,
  contentType: string,
  bytes: Uint8Array,
  collection?: string,
) =>
  http(
    socket,
    'POST',
    `/v1/documents?source=${encodeURIComponent(source)}${collection ? `&collection=${collection}` : ''}`,
    bytes,
    { 'content-type': contentType },
  );

beforeAll(async () => {
  stack = await startStack();
  dataDir = tempDir('rag-data-');
  rag = await startRag(stack, dataDir);
}, 300_000);

afterAll(async () => {
  await rag?.stop();
  await stack?.stop();
}, 60_000);

describe('rag against the real embeddings, vectors and llm services', () => {
  it('reports the models it uses and the chunk size that fits the embedding model', async () => {
    const r = await http(rag.socket, 'GET', '/info');
    expect(r.status).toBe(200);
    const info = r.json as {
      embeddings: unknown;
      llm: unknown;
      chunk: { tokens: number };
      upstreams: unknown;
    };
    expect(info.embeddings).toEqual({ model: 'glove-50k', dimensions: 100, maxTokens: 256 });
    expect(info.llm).toEqual({ model: 'tiny-llama' });
    expect(info.chunk.tokens).toBeLessThanOrEqual(254);
    expect(info.upstreams).toEqual({ embeddings: 'ok', vectors: 'ok', llm: 'ok' });
  });

  it('ingests a corpus of four kinds (PDF with its pages), each document whole', async () => {
    for (const d of await corpus()) {
      const r = await ingest(rag.socket, d.source, d.contentType, d.bytes);
      expect(r.status, r.text).toBe(201);
      const doc = r.json as Doc;
      expect(doc).toMatchObject({ source: d.source, duplicate: false, collection: 'default' });
      expect(doc.chunks).toBeGreaterThan(0);
      expect(await pointsOf(doc.id)).toBe(doc.chunks);
      ids.set(d.source, doc.id);
      if (d.source === 'volcanoes.pdf') expect(doc.pages).toBe(2);
    }
    const list = (await http(rag.socket, 'GET', '/v1/documents')).json as { documents: Doc[] };
    expect(list.documents.map((d) => d.source).sort()).toEqual([
      'bread.md',
      'football.html',
      'markets.txt',
      'volcanoes.pdf',
    ]);
  }, 120_000);

  it('retrieves the document on the question’s topic first, with source, page, heading and score', async () => {
    for (const q of questions) {
      const r = await http(rag.socket, 'POST', '/v1/retrieve', { query: q.query, k: 3 });
      expect(r.status, r.text).toBe(200);
      // Where the time went, for a client's tools and the bench (scripts/bench/rag.mjs).
      const timing = /^embed;dur=([\d.]+), search;dur=([\d.]+), total;dur=([\d.]+)$/.exec(
        String(r.headers['server-timing']),
      );
      expect(timing, String(r.headers['server-timing'])).not.toBeNull();
      const [embed, search, total] = timing!.slice(1).map(Number) as [number, number, number];
      expect(embed).toBeGreaterThan(0);
      expect(search).toBeGreaterThan(0);
      expect(total).toBeGreaterThanOrEqual(embed + search - 0.02); // each rounded to 0.01 ms
      const { chunks } = r.json as { chunks: Hit[] };
      expect(chunks[0]!.source, q.query).toBe(q.source);
      expect(chunks[0]!.document).toBe(ids.get(q.source));
      for (let i = 1; i < chunks.length; i++)
        expect(chunks[i]!.score).toBeLessThanOrEqual(chunks[i - 1]!.score);
    }
    const lava = (await http(rag.socket, 'POST', '/v1/retrieve', { query: 'lava ash eruption', k: 1 }))
      .json as { chunks: Hit[] };
    expect(lava.chunks[0]).toMatchObject({ source: 'volcanoes.pdf', page: 2, heading: null });
    expect(lava.chunks[0]!.text).toContain('eruption');
    const knead = (await http(rag.socket, 'POST', '/v1/retrieve', { query: 'knead the dough', k: 1 }))
      .json as { chunks: Hit[] };
    expect(knead.chunks[0]!.heading).toBe('Baking bread at home > Kneading the dough');
    const goal = (await http(rag.socket, 'POST', '/v1/retrieve', { query: 'striker goalkeeper ball', k: 1 }))
      .json as { chunks: Hit[] };
    expect(goal.chunks[0]!.heading).toBe('Football > The final match');
    expect(goal.chunks[0]!.text).not.toContain('script');
  });

  it('filters retrieval by source', async () => {
    const r = await http(rag.socket, 'POST', '/v1/retrieve', {
      query: 'lava ash eruption',
      k: 4,
      filter: { source: 'markets.txt' },
    });
    const { chunks } = r.json as { chunks: Hit[] };
    expect(chunks.length).toBeGreaterThan(0);
    expect(new Set(chunks.map((c) => c.source))).toEqual(new Set(['markets.txt']));
  });

  it('recognises the same content as a duplicate and indexes nothing more', async () => {
    const d = (await corpus())[1]!;
    const r = await ingest(rag.socket, 'copy-of-bread.md', d.contentType, d.bytes);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id: ids.get('bread.md'), source: 'bread.md', duplicate: true });
    const list = (await http(rag.socket, 'GET', '/v1/documents')).json as { documents: Doc[] };
    expect(list.documents).toHaveLength(4);
  });

  it('streams a chat answer from the llm with the retrieved sources on the first chunk', async () => {
    const r = await http(rag.socket, 'POST', '/v1/chat/completions', {
      messages: [{ role: 'user', content: 'what comes out of a volcano when it erupts: lava and ash?' }],
      stream: true,
      max_tokens: 8,
      temperature: 0,
      k: 2,
    });
    expect(r.status, r.text).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/event-stream/);
    const events = r.text.split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.replace(/^data: /, '')));
    expect(chunks[0].object).toBe('chat.completion.chunk');
    const sources = chunks[0].sources as { source: string; page: number | null; document: string }[];
    expect(sources[0]).toMatchObject({ source: 'volcanoes.pdf', document: ids.get('volcanoes.pdf') });
    expect(chunks.slice(1).every((c) => c.sources === undefined)).toBe(true);
    const text = chunks.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
    expect(text.length).toBeGreaterThan(0);
  }, 120_000);

  it('answers a chat without streaming, with sources', async () => {
    const r = await http(rag.socket, 'POST', '/v1/chat/completions', {
      model: 'anything',
      messages: [{ role: 'user', content: 'which team scored the winning goal in the football match?' }],
      max_tokens: 4,
      temperature: 0,
      k: 1,
    });
    expect(r.status, r.text).toBe(200);
    const body = r.json as { object: string; choices: unknown[]; sources: { source: string }[] };
    expect(body.object).toBe('chat.completion');
    expect(body.sources.map((s) => s.source)).toEqual(['football.html']);
  }, 120_000);

  it('deletes a document and its chunks from vectors', async () => {
    const id = ids.get('markets.txt')!;
    const before = await pointsOf(id);
    expect(before).toBeGreaterThan(0);
    const r = await http(rag.socket, 'DELETE', `/v1/documents/${id}`);
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ id, deleted: true, chunks: before });
    expect(await pointsOf(id)).toBe(0);
    expect((await http(rag.socket, 'GET', `/v1/documents/${id}`)).status).toBe(404);
    expect((await http(rag.socket, 'DELETE', `/v1/documents/${id}`)).status).toBe(404);
    const q = (await http(rag.socket, 'POST', '/v1/retrieve', { query: 'investors sold shares', k: 4 }))
      .json as { chunks: Hit[] };
    expect(q.chunks.some((c) => c.document === id)).toBe(false);
  });

  it('records a Word or OpenDocument file as the kind its content is, whatever its Content-Type said', async () => {
    const odt = readFileSync(join(import.meta.dirname, '../fixtures/rag/office/harbour.odt'));
    const r = await ingest(
      rag.socket,
      'harbour.docx',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      odt,
    );
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    expect(r.json).toMatchObject({ kind: 'odt', pages: null, duplicate: false });
  });

  it('refuses what it cannot take, in OpenAI’s error shape', async () => {
    const r415 = await ingest(rag.socket, 'x.doc', 'application/msword', Buffer.from('x'));
    expect(r415.status).toBe(415);
    expect((r415.json as ApiError).error.message).toMatch(/application\/pdf/);
    const noSource = await http(rag.socket, 'POST', '/v1/documents', Buffer.from('x'), {
      'content-type': 'text/plain',
    });
    expect(noSource.status).toBe(400);
    expect((noSource.json as ApiError).error.param).toBe('source');
    const badPdf = await ingest(rag.socket, 'bad.pdf', 'application/pdf', Buffer.from('%PDF-1.4 not really'));
    expect(badPdf.status).toBe(400);
    const noQuery = await http(rag.socket, 'POST', '/v1/retrieve', { k: 2 });
    expect(noQuery.status).toBe(400);
    // The llm's own refusal reaches the client with its parameter.
    const hot = await http(rag.socket, 'POST', '/v1/chat/completions', {
      messages: [{ role: 'user', content: 'lava' }],
      temperature: 5,
    });
    expect(hot.status).toBe(400);
    expect((hot.json as ApiError).error).toMatchObject({ param: 'temperature', message: /^llm: / });
    const noUser = await http(rag.socket, 'POST', '/v1/chat/completions', {
      messages: [{ role: 'system', content: 'hi' }],
    });
    expect(noUser.status).toBe(400);
  });

  it('splits chunks the model’s own tokenizer finds too long (a near character-level WordPiece)', async () => {
    // tiny-bert: 64 tokens at most, a vocabulary of single characters, so a word is ~1 token per
    // letter where the estimate counts 1 per 3: every first-cut chunk is refused and split.
    const tiny = await serveEmbeddings(stack.embeddingsFile);
    const other = await startRag(stack, tempDir('rag-data-'), {
      BLUEPRINT_USES_EMBEDDINGS_SOCKET: tiny.socket,
    });
    try {
      const para = (i: number) =>
        `Paragraph ${i} describes mountains. Glaciers carve valleys. Rivers reach the sea. Forests grow on hills.`;
      const text = Array.from({ length: 12 }, (_, i) => para(i)).join('\n\n');
      const r = await http(other.socket, 'POST', '/v1/documents', {
        source: 'geo.txt',
        text,
        collection: 'tiny',
      });
      expect(r.status, r.text).toBe(201);
      const doc = r.json as Doc;
      const scroll = await http(stack.vectors.socket, 'POST', '/collections/rag-tiny/points/scroll', {
        filter: { must: [{ key: 'document', match: { value: doc.id } }] },
        limit: 1000,
        with_payload: true,
      });
      const points = (scroll.json as { result: { points: { payload: { text: string; chunk: number } }[] } })
        .result.points;
      expect(points).toHaveLength(doc.chunks);
      const texts = points.sort((a, b) => a.payload.chunk - b.payload.chunk).map((p) => p.payload.text);
      // More chunks than the estimate alone made (12 paragraphs of ~30 estimated tokens: 6 chunks)…
      expect(texts.length).toBeGreaterThan(12);
      // …each one accepted whole by the model (413 otherwise), none truncated…
      const check = await http(tiny.socket, 'POST', '/embed', {
        inputs: texts.slice(0, 64),
        truncate: false,
      });
      expect(check.status, check.text).toBe(200);
      // …and together they still hold every word of the document.
      const all = texts.join(' ');
      for (let i = 0; i < 12; i++) for (const w of para(i).split(' ')) expect(all).toContain(w);
    } finally {
      await other.stop();
      await tiny.stop();
    }
  }, 120_000);

  it('sends a used module its token from the wiring’s token file (module chosen per role), and asks for its own', async () => {
    const dir = tempDir('rag-tokens-');
    const upstreamToken = join(dir, 'embeddings.token');
    const ownToken = join(dir, 'rag.token');
    writeFileSync(upstreamToken, 'embeddings-token-0123456789\n');
    writeFileSync(ownToken, 'rag-token-0123456789abcdef');
    const guarded = await serveEmbeddings(stack.embeddingsFile, { EMBEDDINGS_TOKEN_FILE: upstreamToken });
    // Wired as a variant package would be: its embeddings role played by a module named emb-tok.
    const wired = await startRag(stack, tempDir('rag-data-'), {
      RAG_EMBEDDINGS_MODULE: 'emb-tok',
      BLUEPRINT_USES_EMBEDDINGS_SOCKET: join(dir, 'not-this-one.sock'),
      BLUEPRINT_USES_EMB_TOK_SOCKET: guarded.socket,
      BLUEPRINT_USES_EMB_TOK_TOKEN_FILE: upstreamToken,
      RAG_TOKEN_FILE: ownToken,
    });
    const unwired = await startRag(stack, tempDir('rag-data-'), {
      BLUEPRINT_USES_EMBEDDINGS_SOCKET: guarded.socket,
    });
    try {
      const auth = { authorization: 'Bearer rag-token-0123456789abcdef' };
      const doc = { source: 'm.txt', text: 'Mountains and glaciers.', collection: 'tok' };
      expect((await http(wired.socket, 'POST', '/v1/documents', doc, auth)).status).toBe(201);
      const q = { query: 'mountains', collection: 'tok' };
      const anon = await http(wired.socket, 'POST', '/v1/retrieve', q);
      expect(anon.status).toBe(401);
      // The refusal names this module in the command that sets its token (not a generic NAME).
      expect(anon.text).toContain('`blueprint service token rag`');
      const ok = await http(wired.socket, 'POST', '/v1/retrieve', q, auth);
      expect(ok.status, ok.text).toBe(200);
      expect((ok.json as { chunks: Hit[] }).chunks.map((c) => c.source)).toEqual(['m.txt']);
      const refused = await http(unwired.socket, 'POST', '/v1/retrieve', q);
      expect(refused.status).toBe(503);
      expect((refused.json as ApiError).error.message).toMatch(
        /the embeddings module is unavailable \(it answered 401/,
      );
    } finally {
      await Promise.all([wired.stop(), unwired.stop()]);
      await guarded.stop();
    }
  }, 120_000);

  it('answers 413 over its limits, and 503 naming the module that is down', async () => {
    const other = await startRag(stack, tempDir('rag-data-'), {
      BLUEPRINT_USES_EMBEDDINGS_SOCKET: join(stack.dir, 'nothing-here.sock'),
      RAG_MAX_PDF_PAGES: '1',
      RAG_MAX_BODY_BYTES: '100000',
    });
    try {
      // Limits come first, from the parse worker and the kit, whatever the other modules do.
      const pdf = (await corpus())[0]!;
      const pages = await ingest(other.socket, pdf.source, pdf.contentType, pdf.bytes);
      expect(pages.status).toBe(413);
      expect((pages.json as ApiError).error.message).toMatch(/2 pages, more than the limit of 1/);
      const big = await ingest(other.socket, 'big.txt', 'text/plain', Buffer.alloc(200_000, 'a'));
      expect(big.status).toBe(413);
      const r = await http(other.socket, 'POST', '/v1/retrieve', { query: 'lava' });
      expect(r.status).toBe(503);
      expect((r.json as ApiError).error.message).toMatch(/the embeddings module is unavailable/);
      expect(r.headers['retry-after']).toBeDefined();
    } finally {
      await other.stop();
    }
  }, 60_000);
});
