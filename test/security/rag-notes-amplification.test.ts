/**
 * REVIEW11: a .docx's notes parts (word/footnotes.xml, endnotes.xml; RAGDOCX2) against the parse
 * worker's bounds (LOWFIX: MAX_SECTIONS, RAG_MAX_CHUNKS), through the lone rag bundle
 * (lone-rag.ts) with an embeddings stand-in that answers /info.
 *
 * Every section holds its heading path, the longest ~1.2 KB (six headings of 200 characters), and
 * the sections under one heading were meant to share one string (headings.ts). Two ways they do not:
 * - each note's "PATH > Notes" is made per note (parse-docx.ts addNotes, parse-odt.ts): 250,000
 *   notes naming one reference (a 59 KB .docx) were ~300 MB in the small worker's 96 MiB heap;
 * - Headings.set joins a new path at every heading, the same text again included: 100,000
 *   paragraphs each after the same (or an alternating) deepest heading (a 135 KB .docx) ~120 MB.
 * The small parse worker died of it (JS heap out of memory) and the large one parsed it again: each
 * such upload restarts the small worker (REVIEW10's low finding 1 again, through the paths). Every
 * format with headings shares Headings; only the compressed ones (.docx, .odt) amplify this much.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SECTIONS } from '../../modules/rag/server/parse-result.js';
import {
  compressedDocx,
  compressedOdt,
  DOCX_TYPE,
  docxHeading,
  docxParagraph,
  ODT_TYPE,
} from '../helpers/office-documents.js';
import type { ServedProcess } from '../helpers/served-module.js';
import { ingest, startRagWithInfoOnlyEmbeddings } from '../rag/lone-rag.js';

/** Six nested headings of 200 characters each (outline levels 0–5), each its own letters. */
const longestPath = Array.from({ length: 6 }, (_, level) =>
  docxHeading(level, String.fromCharCode(65 + level).repeat(200)),
).join('');

/** What the log says when a parse worker died (out of memory) and the document went to the large one. */
const WORKER_DIED = /needs the large parse worker|worker stopped|worker exited/;

let rag: ServedProcess;
let close = () => {};
beforeAll(async () => {
  ({ rag, close } = await startRagWithInfoOnlyEmbeddings('rag-notes-amp-'));
}, 120_000);
afterAll(() => close());

describe('rag: a .docx of many notes or headings under one long heading path', () => {
  it('a quarter of a million one-letter notes naming one reference: refused at the bound, no worker dies', async () => {
    const body = `${longestPath}<w:p><w:r><w:t>see</w:t><w:footnoteReference w:id="1"/></w:r></w:p>`;
    const notes = '<w:footnote w:id="1"><w:p><w:r><w:t>a</w:t></w:r></w:p></w:footnote>'.repeat(
      MAX_SECTIONS - 10,
    );
    const file = await compressedDocx(body, notes);
    expect(file.length).toBeLessThan(200_000);
    const from = rag.log().length;
    const r = await ingest(rag.socket, DOCX_TYPE, 'notes.docx', file, 180_000);
    expect(r.status, r.text).not.toBe(0);
    expect(rag.log().slice(from)).not.toMatch(WORKER_DIED);
  }, 200_000);

  it('an .odt of a quarter of a million notes under the longest path: no worker dies', async () => {
    const h = (level: number) =>
      `<text:h text:outline-level="${level + 1}">${String.fromCharCode(65 + level).repeat(200)}</text:h>`;
    const heads = Array.from({ length: 6 }, (_, level) => h(level)).join('');
    const note =
      '<text:note text:note-class="footnote"><text:note-body><text:p>a</text:p></text:note-body></text:note>';
    const file = await compressedOdt(`${heads}<text:p>see${note.repeat(MAX_SECTIONS - 10)}</text:p>`);
    const from = rag.log().length;
    const r = await ingest(rag.socket, ODT_TYPE, 'notes.odt', file, 180_000);
    expect(r.status, r.text).not.toBe(0);
    expect(rag.log().slice(from)).not.toMatch(WORKER_DIED);
  }, 200_000);

  it('100,000 paragraphs each after alternating deepest headings: refused or parsed, no worker dies', async () => {
    const again = (c: string) => `${docxHeading(5, c.repeat(200))}${docxParagraph('x')}`;
    const file = await compressedDocx(
      `${longestPath}${Array.from({ length: 100_000 }, (_, i) => again(i % 2 ? 'F' : 'G')).join('')}`,
      '',
    );
    const from = rag.log().length;
    const r = await ingest(rag.socket, DOCX_TYPE, 'alternating.docx', file, 180_000);
    // Two paths taking turns: two paths held, counted once each (RAG5), so not refused for its headings.
    expect(r.status, r.text).not.toBe(0);
    expect(r.text).not.toMatch(/headings are too many or too long/);
    expect(rag.log().slice(from)).not.toMatch(WORKER_DIED);
  }, 200_000);

  it('100,000 paragraphs each under its own copy of the longest heading path: no worker dies', async () => {
    const again = `${docxHeading(5, 'F'.repeat(200))}${docxParagraph('x')}`;
    const file = await compressedDocx(`${longestPath}${again.repeat(100_000)}`, '');
    const from = rag.log().length;
    const r = await ingest(rag.socket, DOCX_TYPE, 'headings.docx', file, 180_000);
    expect(file.length).toBeLessThan(200_000);
    expect(r.status, r.text).not.toBe(0);
    expect(rag.log().slice(from)).not.toMatch(WORKER_DIED);
  }, 200_000);
});
