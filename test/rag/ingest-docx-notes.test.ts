/**
 * A question about a footnote finds it: pandoc's tides.docx and tides.odt (two footnotes each) go
 * through the rag bundle, against the REAL embeddings (GloVe), vectors and llm bundles
 * (server-harness.ts), and /v1/retrieve answers with the note's own chunk first, under the heading
 * of its reference with "Notes" last, apart from the body text it annotates.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
});
