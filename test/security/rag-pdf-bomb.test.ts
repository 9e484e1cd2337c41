/**
 * A PDF whose streams decode to far more than they weigh (a decompression bomb) against the rag
 * module, run as its container runs it (the esbuild bundle in its own Node process; the modules it
 * uses are not there, which is fine: a document is parsed before any of them is asked).
 *
 * pdf.js keeps a stream's whole decoded bytes in one buffer that doubles as it fills, with no
 * bound; its buffers are ArrayBuffers, outside the parse worker's bounded heap. A 260 KB upload
 * decoded to 256 MiB (283 MiB of buffers), a 1 MB one to 1 GiB: past the container's 1 GiB, an
 * out-of-memory kill of the whole service, not a 4xx. Chained filters square the ratio.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peakResidentMiB } from '../helpers/resident-memory.js';
import type { ServedProcess } from '../helpers/served-module.js';
import { ingest as ingestAs, PARSED, startLoneRag } from '../rag/lone-rag.js';
import { deflatedPdf as pdfWith } from '../rag/pdf-fixtures.js';

const MiB = 1024 * 1024;

const ingest = (socket: string, pdf: Buffer) => ingestAs(socket, 'application/pdf', 'bomb.pdf', pdf, 120_000);

let rag: ServedProcess;
beforeAll(async () => {
  rag = await startLoneRag('rag-bomb-');
}, 120_000);
afterAll(() => rag?.kill());

describe('a PDF that decodes to far more than it weighs is a 413, within bounded memory', () => {
  // The default budget (256 MiB of buffers a document) and what the server holds beside it.
  it('one stream of 512 MiB of spaces (516 KB uploaded): 413, the service under budget + 144 MiB', async () => {
    const before = peakResidentMiB(rag.pid);
    const r = await ingest(rag.socket, pdfWith([[512 * MiB, 1]]));
    expect([r.status, r.text]).toEqual([413, expect.stringMatching(/decode/)]);
    expect(peakResidentMiB(rag.pid) - before).toBeLessThan(400);
  }, 120_000);

  it('twice deflated (a few KB): 413 the same', async () => {
    const pdf = pdfWith([[512 * MiB, 2]]);
    expect(pdf.length).toBeLessThan(20_000);
    const r = await ingest(rag.socket, pdf);
    expect(r.status).toBe(413);
  }, 120_000);

  it('many streams each under any one-stream bound add up: 413', async () => {
    const r = await ingest(
      rag.socket,
      pdfWith(Array.from({ length: 12 }, () => [48 * MiB, 1] as [number, number])),
    );
    expect(r.status).toBe(413);
    expect(peakResidentMiB(rag.pid)).toBeLessThan(700);
  }, 120_000);

  it('a plain PDF with text is still parsed (then the missing embeddings module is the 503)', async () => {
    const text = Buffer.from('BT /F1 12 Tf 72 712 Td (hello there) Tj ET');
    const r = await ingest(rag.socket, pdfWith([[text, 1]]));
    expect([r.status, r.text]).toEqual(PARSED);
    const health = await new Promise<number>((res, rej) =>
      request({ socketPath: rag.socket, path: '/health' }, (x) => {
        x.resume();
        res(x.statusCode!);
      })
        .on('error', rej)
        .end(),
    );
    expect(health).toBe(200);
  }, 60_000);
});
