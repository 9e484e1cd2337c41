import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServedProcess } from '../helpers/served-module.js';
import { ingest, startLoneRag } from './lone-rag.js';

// QA10's walk: a text file named fake.pdf was refused as "not a readable PDF: Invalid PDF
// structure.", pdf.js's words for a damaged PDF, when it is no PDF at all (no %PDF- header): the
// answer says so now, and what it might be. A damaged PDF keeps pdf.js's reason.

let rag: ServedProcess | undefined;
beforeAll(async () => {
  rag = await startLoneRag('bp-rag-notpdf-');
}, 180_000);
afterAll(() => rag?.stop());

describe('rag: a .pdf that is not one', () => {
  it('no %PDF- header: 400 saying it is not a PDF', async () => {
    const r = await ingest(rag!.socket, 'application/pdf', 'fake.pdf', 'hello, I am not a PDF\n');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error.message).toBe(
      'not a PDF: it does not begin with %PDF- as every PDF does (another kind of file with a .pdf name?)',
    );
  });

  it('a PDF cut short: pdf.js says why, as before', async () => {
    const r = await ingest(rag!.socket, 'application/pdf', 'cut.pdf', '%PDF-1.4\n1 0 obj\n<< /Type /Cat');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error.message).toMatch(/^not a readable PDF: /);
  });
});
