import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpus, questions } from '../fixtures/rag/corpus.js';
import { podman } from '../helpers/module-e2e.js';
import { GLOVE_MODEL, ROLES } from '../helpers/rag-stack.js';
import { ragStackE2E } from '../helpers/rag-stack-e2e.js';

// The rag module as a user gets it, on the real engine: four modules built as packages (embeddings
// with the GloVe model, vectors, llm with the tiny llama, rag), signed into one repository;
// `bpkg install RAG` brings the three it uses; `service start RAG` starts them first; documents go
// in with `blueprint rag ingest DIR` (the built executable), answers come out with their sources,
// and a removed document's chunks are gone from vectors (asked through the vectors socket).
//
// That rag reaches only the sockets it declared is proved from inside a container, generically, by
// test/services/wiring.test.ts (an undeclared socket is not there; another user namespace given a
// socket folder is refused); here the rag container's mounts are checked to be exactly its three.
// Named by its sandbox's host name, its module's name: its collections are RAG-NAME@COLLECTION.
const { names, e } = ragStackE2E('bp-rag-e2e-', `e2e-${process.pid}`, { ragNamedByHost: true });
const rag = (...args: string[]) => e.run(['rag', ...args, '--service', names.rag]);
const ragJson = async (...args: string[]) => {
  const r = await e.run(['--json', 'rag', ...args, '--service', names.rag]);
  return { code: r.code, stderr: r.stderr, json: r.stdout ? JSON.parse(r.stdout) : undefined };
};
const pointsOf = async (document: string) => {
  const r = await e.call(names.vectors, 'POST', `/collections/${names.rag}@default/points/count`, {
    filter: { must: [{ key: 'document', match: { value: document } }] },
    exact: true,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return (r.body as { result: { count: number } }).result.count;
};
const OFFICE = [
  {
    source: 'harbour.docx',
    query: 'how often does the tide turn at the harbour: every six hours?',
    heading: 'Harbour Manual > Tides at Kestrel Point',
    text: 'turns every six hours',
  },
  {
    source: 'bees.odt',
    query: 'how do beekeepers harvest honey from the hive frames?',
    heading: 'Beekeeping > Harvesting honey',
    text: 'extractor',
  },
];
interface Doc {
  id: string;
  source: string;
  chunks: number;
  pages: number;
}
const docs = new Map<string, Doc>();

describe('rag end to end (four sandboxed modules from a signed repository)', () => {
  it('bpkg installed what rag uses; service start starts them first, each healthy', async () => {
    const installed = JSON.parse((await e.bpkg(['--json', 'list'])).stdout) as { name: string }[];
    expect(installed.map((p) => p.name).sort()).toEqual(Object.values(names).sort());
    expect(await e.blueprint('service', 'start', names.rag)).toMatchObject({ healthy: true });
    const running = (await podman('ps', '--format', '{{.Names}}')).split('\n');
    for (const n of Object.values(names)) expect(running).toContain(`blueprint-${n}`);
    const info = (await e.call(names.rag, 'GET', '/info')).body;
    expect(info).toMatchObject({ embeddings: { model: GLOVE_MODEL, dimensions: 100 } });
  }, 300_000);

  it('its container has the three used sockets and its own token for each, read-only, and no network', async () => {
    const inspect = JSON.parse(await podman('inspect', `blueprint-${names.rag}`))[0];
    const binds = (inspect.Mounts as { Type: string; Destination: string; RW: boolean }[])
      .filter((m) => m.Type === 'bind')
      .map((m) => [m.Destination, m.RW])
      .sort();
    expect(binds).toEqual(
      [
        ...ROLES.map((r) => [`/run/blueprint/uses/${names[r]}`, false]),
        // Each provider takes a token per consumer (socket.clientTokens): rag's own, not the admin's.
        ...ROLES.map((r) => [`/run/blueprint/tokens/${names[r]}`, false]),
        ['/run/rag', true],
        ['/var/lib/rag', true],
      ].sort(),
    );
    expect(inspect.HostConfig.NetworkMode).toBe('none');
    // The image carries its SBOM (modules/kit/image-sbom.ts): this package, jszip and pdf.js in it.
    const sbom = JSON.parse(
      await podman(
        'exec',
        `blueprint-${names.rag}`,
        '/usr/bin/node',
        '-e',
        'process.stdout.write(require("node:fs").readFileSync("/app/sbom.cdx.json", "utf8"))',
      ),
    ) as { metadata: { component: { name: string } }; components: { name: string }[] };
    expect(sbom.metadata.component.name).toBe(names.rag);
    expect(sbom.components.map((c) => c.name)).toEqual(
      expect.arrayContaining(['jszip', 'pdfjs-dist', 'node']),
    );
    // The token rag holds for each is the one its provider knows rag by (client-tokens: NAME TOKEN).
    for (const r of ROLES) {
      const held = (
        await podman(
          'exec',
          `blueprint-${names.rag}`,
          '/usr/bin/node', // no shell, no cat: a FROM-scratch image with Node
          '-e',
          'process.stdout.write(require("node:fs").readFileSync(process.argv[1], "utf8"))',
          `/run/blueprint/tokens/${names[r]}`,
        )
      ).trim();
      const lines = readFileSync(join(e.data(names[r]), 'client-tokens'), 'utf8').split('\n');
      expect(lines).toContain(`${names.rag} ${held}`);
    }
  });

  it('blueprint rag ingest DIR: each file indexed (the PDF with its pages), a broken one reported, the rest sent', async () => {
    const dir = join(e.work, 'docs');
    await mkdir(dir);
    for (const d of await corpus()) writeFileSync(join(dir, d.source), d.bytes);
    // A Word and an OpenDocument file written by pandoc (test/fixtures/rag/office/README.md).
    for (const f of OFFICE)
      copyFileSync(join(import.meta.dirname, '../fixtures/rag/office', f.source), join(dir, f.source));
    writeFileSync(join(dir, 'broken.pdf'), '%PDF-1.4 not really a PDF');
    const r = await rag('ingest', dir);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/error: docs\/broken\.pdf: failed: /);
    expect(r.stdout).toContain('6 indexed, 0 duplicates, 1 failed');
    const list = await ragJson('list');
    expect(list.code, list.stderr).toBe(0);
    for (const d of list.json as Doc[]) docs.set(d.source.replace(/^docs\//, ''), d);
    expect([...docs.keys()].sort()).toEqual([
      'bees.odt',
      'bread.md',
      'football.html',
      'harbour.docx',
      'markets.txt',
      'volcanoes.pdf',
    ]);
    expect(docs.get('volcanoes.pdf')!.pages).toBe(2);
    // The same content again is recognised, nothing indexed twice.
    const again = await ragJson('ingest', join(dir, 'bread.md'), join(dir, 'markets.txt'));
    expect(again.json).toMatchObject({ ingested: 0, duplicates: 2, failed: 0 });
    expect(again.code).toBe(0);
  }, 300_000);

  it('a question on one topic retrieves that document first', async () => {
    for (const q of questions) {
      const r = await e.call(names.rag, 'POST', '/v1/retrieve', { query: q.query, k: 4 });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const chunks = (r.body as { chunks: { source: string; document: string; page: number | null }[] })
        .chunks;
      expect(chunks[0]!.source, q.query).toBe(`docs/${q.source}`);
      expect(chunks[0]!.document).toBe(docs.get(q.source)!.id);
    }
    const lava = (await e.call(names.rag, 'POST', '/v1/retrieve', { query: questions[0]!.query, k: 1 }))
      .body as {
      chunks: { page: number }[];
    };
    expect(lava.chunks[0]!.page).toBe(2); // the eruption is on the PDF's second page
    // The Word and OpenDocument files: first for their question, under the heading in the document.
    for (const q of OFFICE) {
      const r = await e.call(names.rag, 'POST', '/v1/retrieve', { query: q.query, k: 4 });
      const chunks = (
        r.body as { chunks: { source: string; document: string; heading: string | null; text: string }[] }
      ).chunks;
      expect(chunks[0], q.query).toMatchObject({
        source: `docs/${q.source}`,
        document: docs.get(q.source)!.id,
        heading: q.heading,
        text: expect.stringContaining(q.text),
      });
    }
  }, 120_000);

  it('a fact only in a .docx footnote is retrieved with its source and heading, and cited by the chat', async () => {
    // pandoc's tides.docx: "zorblat gauge, calibrated each spring" is only in its first footnote
    // (word/footnotes.xml, named by word/_rels/document.xml.rels). Its own collection: its body is
    // about the tides at Kestrel Point, as harbour.docx's is, and the questions above stay theirs.
    const dir = join(e.work, 'notes');
    await mkdir(dir);
    copyFileSync(join(import.meta.dirname, '../fixtures/rag/office/tides.docx'), join(dir, 'tides.docx'));
    const r = await ragJson('ingest', join(dir, 'tides.docx'), '--collection', 'notes');
    expect(r.code, r.stderr).toBe(0);
    const listed = (await ragJson('list', '--collection', 'notes')).json as Doc[];
    expect(listed.map((d) => d.source)).toEqual([expect.stringMatching(/(^|\/)tides\.docx$/)]);
    const tides = listed[0]!;
    const query = 'which gauge did the harbourmaster use, and when was it calibrated?';
    const found = await e.call(names.rag, 'POST', '/v1/retrieve', { query, k: 4, collection: 'notes' });
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    expect((found.body as { chunks: unknown[] }).chunks[0]).toMatchObject({
      document: tides.id,
      source: tides.source,
      page: null,
      heading: 'Tides at Kestrel Point > Notes',
      text: expect.stringContaining('zorblat gauge, calibrated each spring'),
    });
    const chat = await e.call(names.rag, 'POST', '/v1/chat/completions', {
      messages: [{ role: 'user', content: query }],
      max_tokens: 8,
      k: 1,
      collection: 'notes',
    });
    expect(chat.status, JSON.stringify(chat.body)).toBe(200);
    expect((chat.body as { sources: unknown[] }).sources).toEqual([
      { document: tides.id, source: tides.source, page: null, score: expect.any(Number) },
    ]);
  }, 120_000);

  it('blueprint rag ask --stream: the answer streams, then the right sources', async () => {
    const q = questions[2]!; // football
    const r = await rag('ask', q.query, '--stream', '--k', '2', '--max-tokens', '8');
    expect(r.code, r.stderr).toBe(0);
    const [answer, sources] = r.stdout.split('\n\nSources:\n');
    expect(answer!.length).toBeGreaterThan(0);
    expect(sources!.split('\n')[0]).toMatch(/^ {2}1\. docs\/football\.html \[[^\]]+\] \(score [\d.]+\)$/);
    // The stream itself, through the three sandboxed hops: several chunks, the sources on the first.
    const events: string[] = [];
    const s = await e.call(names.rag, 'POST', '/v1/chat/completions', {
      messages: [{ role: 'user', content: q.query }],
      stream: true,
      max_tokens: 8,
      k: 2,
    });
    expect(s.status).toBe(200);
    for (const ev of String(s.body).split('\n\n')) if (ev.startsWith('data: ')) events.push(ev.slice(6));
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((x) => JSON.parse(x));
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks[0].sources[0]).toMatchObject({
      source: 'docs/football.html',
      document: docs.get('football.html')!.id,
    });
  }, 180_000);

  it('blueprint rag remove ID: the document and its chunks are gone from vectors, the others stay', async () => {
    const doc = docs.get('volcanoes.pdf')!;
    const before = await pointsOf(doc.id);
    expect(before).toBe(doc.chunks);
    const r = await ragJson('remove', doc.id);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toEqual({ id: doc.id, chunks: before, deleted: true, changed: true });
    expect(await pointsOf(doc.id)).toBe(0);
    expect(await pointsOf(docs.get('bread.md')!.id)).toBe(docs.get('bread.md')!.chunks);
    expect(((await ragJson('list')).json as Doc[]).map((d) => d.id)).not.toContain(doc.id);
    // Again: nothing to do, exit 0 (as bpkg remove of a package not installed).
    const again = await ragJson('remove', doc.id);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json).toEqual({ id: doc.id, chunks: 0, deleted: false, changed: false });
  });
});
