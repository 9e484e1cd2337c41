/**
 * A question about a footnote finds it: pandoc's tides.docx and tides.odt (two footnotes each) go
 * through the rag bundle, against the REAL embeddings (GloVe), vectors and llm bundles
 * (server-harness.ts), and /v1/retrieve answers with the note's own chunk first, under the heading
 * of its reference with "Notes" last, apart from the body text it annotates. Also when the notes
 * part has another name than word/footnotes.xml: its relationships name it (parse-docx-rels.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../setup/temp-registry.js';
import { http, type Proc, type Stack, startRag, startStack } from './server-harness.js';

let stack: Stack;
let rag: Proc;

beforeAll(async () => {
  stack = await startStack();
  rag = await startRag(stack, tempDir('rag-data-'));
}, 300_000);

afterAll(async () => {
  await rag?.stop();
  await stack?.stop();
}, 60_000);

type Hit = { source: string; heading: string | null; text: string };

const TYPES = {
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  odt: 'application/vnd.oasis.opendocument.text',
} as const;

describe("rag: a document's footnotes are found by the questions they answer", () => {
  for (const kind of ['docx', 'odt'] as const)
    it(`tides.${kind}: each note's chunk comes first for its question, under 'heading > Notes'`, async () => {
      const bytes = readFileSync(join(import.meta.dirname, `../fixtures/rag/office/tides.${kind}`));
      const r = await http(
        rag.socket,
        'POST',
        `/v1/documents?source=tides.${kind}&collection=notes-${kind}`,
        bytes,
        { 'content-type': TYPES[kind] },
      );
      expect(r.status, r.text).toBe(201);
      const ask = async (query: string) =>
        (
          (await http(rag.socket, 'POST', '/v1/retrieve', { query, k: 4, collection: `notes-${kind}` }))
            .json as { chunks: Hit[] }
        ).chunks;
      const gauge = await ask('which gauge did the harbourmaster use, and when was it calibrated?');
      expect(gauge[0]).toMatchObject({ heading: 'Tides at Kestrel Point > Notes' });
      expect(gauge[0]!.text).toContain('calibrated each spring');
      const stone = await ask('where did the stone come from, according to the parish records?');
      expect(stone[0]).toMatchObject({ heading: 'Tides at Kestrel Point > The quay > Notes' });
      expect(stone[0]!.text).toContain('Quarrington');
      // The body's chunks are their own: the paragraph that cites a note holds none of its text.
      const all = await ask('tide');
      expect(all.map((c) => c.heading).sort()).toEqual([
        'Tides at Kestrel Point',
        'Tides at Kestrel Point > Notes',
        'Tides at Kestrel Point > The quay',
        'Tides at Kestrel Point > The quay > Notes',
      ]);
      for (const c of all.filter((c) => !c.heading!.endsWith('Notes')))
        expect(c.text).not.toMatch(/harbourmaster|parish/);
    });

  it('tides.docx with its footnotes part renamed (word/notes/tides-notes.xml, named by the rels): the note is found', async () => {
    const zip = await JSZip.loadAsync(
      readFileSync(join(import.meta.dirname, '../fixtures/rag/office/tides.docx')),
    );
    zip.file('word/notes/tides-notes.xml', await zip.file('word/footnotes.xml')!.async('string'));
    zip.remove('word/footnotes.xml');
    const rels = await zip.file('word/_rels/document.xml.rels')!.async('string');
    expect(rels).toContain('Target="footnotes.xml"');
    zip.file(
      'word/_rels/document.xml.rels',
      rels.replace('Target="footnotes.xml"', 'Target="notes/tides-notes.xml"'),
    );
    const bytes = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
    const r = await http(
      rag.socket,
      'POST',
      '/v1/documents?source=renamed.docx&collection=notes-renamed',
      bytes,
      {
        'content-type': TYPES.docx,
      },
    );
    expect(r.status, r.text).toBe(201);
    const gauge = (
      (
        await http(rag.socket, 'POST', '/v1/retrieve', {
          query: 'which gauge did the harbourmaster use, and when was it calibrated?',
          k: 4,
          collection: 'notes-renamed',
        })
      ).json as { chunks: Hit[] }
    ).chunks;
    expect(gauge[0]).toMatchObject({ source: 'renamed.docx', heading: 'Tides at Kestrel Point > Notes' });
    expect(gauge[0]!.text).toContain('calibrated each spring');
  });
});
