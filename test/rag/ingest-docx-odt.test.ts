/**
 * Word and OpenDocument uploads against the rag module as its container runs it (the esbuild bundle
 * in its own Node process, the parse worker and its lanes; the modules it uses absent, so a document
 * that parses is their 503): the bundle holds jszip and reads both kinds, a zip bomb is a 413 within
 * bounded memory and the service still answers, the small lane's cap sends a large XML to the large
 * worker, and the 415 names the new media types.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServedProcess } from '../helpers/served-module.js';
import { ingest, PARSED, startLoneRag } from './lone-rag.js';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const ODT = 'application/vnd.oasis.opendocument.text';
const MiB = 1024 * 1024;
const office = (name: string) => readFileSync(join(import.meta.dirname, '../fixtures/rag/office', name));

/** A .docx whose word/document.xml is `xml` (jszip writing, deflated). */
async function docxOf(xml: Buffer): Promise<Buffer> {
  const zip = await JSZip.loadAsync(office('harbour.docx'));
  zip.file('word/document.xml', xml);
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 9 } });
}
const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
const wordXml = (inner: Buffer) =>
  Buffer.concat([
    Buffer.from(`<?xml version="1.0"?><w:document ${W}><w:body><w:p><w:r><w:t>`),
    inner,
    Buffer.from('</w:t></w:r></w:p></w:body></w:document>'),
  ]);

const peakMiB = (pid: number) =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const health = (socket: string) =>
  new Promise<number>((res, rej) =>
    request({ socketPath: socket, path: '/health' }, (x) => {
      x.resume();
      res(x.statusCode!);
    })
      .on('error', rej)
      .end(),
  );

let rag: ServedProcess;
beforeAll(async () => {
  rag = await startLoneRag('bp-rag-docx-');
}, 180_000);
afterAll(() => rag?.kill());

describe('rag: .docx and .odt uploads', () => {
  it("pandoc's .docx and .odt parse in the bundle's worker (then the absent embeddings module's 503)", async () => {
    expect(await ingest(rag.socket, DOCX, 'harbour.docx', office('harbour.docx'))).toMatchObject({
      status: PARSED[0],
      text: PARSED[1],
    });
    expect(await ingest(rag.socket, ODT, 'harbour.odt', office('harbour.odt'))).toMatchObject({
      status: PARSED[0],
      text: PARSED[1],
    });
  }, 60_000);

  it('the 415 lists their media types', async () => {
    const r = await ingest(rag.socket, 'application/msword', 'old.doc', 'x');
    expect(r.status).toBe(415);
    expect(JSON.parse(r.text).error.message).toContain(`${DOCX}, ${ODT}`);
  });

  it('a zip bomb (1 GiB of zeros, ~1 MiB uploaded): 413 within bounded memory, the service answering', async () => {
    const zeros = Buffer.alloc(256 * MiB);
    const bomb = await docxOf(wordXml(Buffer.concat([zeros, zeros, zeros, zeros])));
    expect(bomb.length).toBeLessThan(1.5 * MiB);
    const before = peakMiB(rag.pid);
    const r = await ingest(rag.socket, DOCX, 'bomb.docx', bomb, 120_000);
    expect([r.status, JSON.parse(r.text).error.message]).toEqual([
      413,
      expect.stringMatching(/^the document's XML inflates to more than 64 MiB/),
    ]);
    expect(peakMiB(rag.pid) - before).toBeLessThan(400);
    expect(await health(rag.socket)).toBe(200);
  }, 180_000);

  it("40 MiB of XML in a small upload: past the small worker's 32 MiB, parsed by the large one", async () => {
    const doc = await docxOf(wordXml(Buffer.alloc(40 * MiB, 0x61)));
    expect(doc.length).toBeLessThan(MiB);
    const r = await ingest(rag.socket, DOCX, 'large.docx', doc, 120_000);
    expect([r.status, r.text]).toEqual(PARSED);
  }, 180_000);

  it('120,000 empty entries (9.5 MiB): 413 before jszip lists them, the service answering', async () => {
    const zip = new JSZip();
    zip.file('mimetype', ODT);
    for (let i = 0; i < 120_000; i++) zip.file(i.toString(36), '');
    const many = await zip.generateAsync({ type: 'nodebuffer', compression: 'STORE' });
    const r = await ingest(rag.socket, ODT, 'many.odt', many, 120_000);
    expect([r.status, JSON.parse(r.text).error.message]).toEqual([
      413,
      'the Word or OpenDocument document holds more than 10000 zip entries, the most a document may have',
    ]);
    // jszip keeps ~1.6 KiB of heap an entry it lists (300,000: 483 MiB); counted first, 300,001
    // were refused in 0.28 s, 2.8 s when jszip listed them first (parse-zip.ts).
    expect(r.ms).toBeLessThan(5_000);
    expect(await health(rag.socket)).toBe(200);
  }, 180_000);

  it('a zip sent as text: 400 naming the types to send it as', async () => {
    const r = await ingest(rag.socket, 'text/plain', 'harbour.txt', office('harbour.docx'));
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error.message).toContain(`send a .docx as ${DOCX}`);
  });
});
