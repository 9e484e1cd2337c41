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
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleServer } from '../../modules/rag/package.js';
import type { ServedProcess } from '../helpers/served-module.js';
import { spawnServer } from '../rag/server-harness.js';
import { tempDir } from '../setup/temp-registry.js';

const MiB = 1024 * 1024;

/** A one-page PDF whose content streams are `streams`: [that many spaces or these bytes, Flate rounds]. */
function pdfWith(streams: [number | Buffer, number][]): Buffer {
  const objs: (string | Buffer)[] = [];
  const n = streams.length;
  // 1 catalog, 2 pages, 3 page (its contents: the streams, objects 4..), 4.. the streams.
  objs.push('<< /Type /Catalog /Pages 2 0 R >>');
  objs.push('<< /Type /Pages /Kids [3 0 R] /Count 1 >>');
  const refs = Array.from({ length: n }, (_, i) => `${i + 4} 0 R`).join(' ');
  objs.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents [${refs}] >>`);
  for (const [bytes, rounds] of streams) {
    let data: Buffer = typeof bytes === 'number' ? Buffer.alloc(bytes, 0x20) : bytes;
    for (let r = 0; r < rounds; r++) data = deflateSync(data, { level: 9 });
    const filter = rounds === 0 ? '' : ` /Filter [${' /FlateDecode'.repeat(rounds)} ]`;
    objs.push(
      Buffer.concat([
        Buffer.from(`<< /Length ${data.length}${filter} >>\nstream\n`),
        data,
        Buffer.from('\nendstream'),
      ]),
    );
  }
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n')];
  const offsets: number[] = [];
  let at = parts[0]!.length;
  for (const [i, o] of objs.entries()) {
    offsets.push(at);
    const b = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), Buffer.from(o), Buffer.from('\nendobj\n')]);
    parts.push(b);
    at += b.length;
  }
  const table = offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  parts.push(
    Buffer.from(
      `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${table}trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${at}\n%%EOF\n`,
    ),
  );
  return Buffer.concat(parts);
}

function ingest(socket: string, pdf: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: socket,
        method: 'POST',
        path: '/v1/documents?source=bomb.pdf',
        headers: { 'content-type': 'application/pdf', 'content-length': pdf.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.setTimeout(120_000, () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end(pdf);
  });
}

/** The process's resident high-water mark, in MiB (Linux: VmHWM). */
const peakMiB = (pid: number) =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

let rag: ServedProcess;
beforeAll(async () => {
  const dir = tempDir('rag-bomb-');
  const file = join(dir, 'server.mjs');
  await bundleServer(file);
  const nowhere = join(dir, 'none.sock');
  rag = await spawnServer(
    file,
    {
      RAG_DATA_DIR: join(dir, 'data'),
      BLUEPRINT_USES_EMBEDDINGS_SOCKET: nowhere,
      BLUEPRINT_USES_VECTORS_SOCKET: nowhere,
      BLUEPRINT_USES_LLM_SOCKET: nowhere,
    },
    join(dir, 'api.sock'),
  );
}, 120_000);
afterAll(() => rag?.kill());

describe('a PDF that decodes to far more than it weighs is a 413, within bounded memory', () => {
  // The default budget (256 MiB of buffers a document) and what the server holds beside it.
  it('one stream of 512 MiB of spaces (516 KB uploaded): 413, the service under budget + 144 MiB', async () => {
    const before = peakMiB(rag.pid);
    const r = await ingest(rag.socket, pdfWith([[512 * MiB, 1]]));
    expect([r.status, r.text]).toEqual([413, expect.stringMatching(/decode/)]);
    expect(peakMiB(rag.pid) - before).toBeLessThan(400);
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
    expect(peakMiB(rag.pid)).toBeLessThan(700);
  }, 120_000);

  it('a plain PDF with text is still parsed (then the missing embeddings module is the 503)', async () => {
    const text = Buffer.from('BT /F1 12 Tf 72 712 Td (hello there) Tj ET');
    const r = await ingest(rag.socket, pdfWith([[text, 1]]));
    expect([r.status, r.text]).toEqual([503, expect.stringMatching(/embeddings module is unavailable/)]);
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
