/**
 * PDFs written by hand for the parse tests: a legitimate long one (a text "book"), a hostile short
 * one (form XObjects calling each other twice a level: the work doubles with each ~180 bytes), and
 * one page of content streams deflated any number of times (decompression bombs).
 */
import { deflateSync } from 'node:zlib';

/** A PDF of these objects (numbered from 1; the first is the catalog), with its xref table. */
function assemble(objs: (string | Buffer)[]): Buffer {
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

const stream = (dict: string, data: Buffer): Buffer =>
  Buffer.concat([
    Buffer.from(`<< ${dict} /Length ${data.length} >>\nstream\n`),
    data,
    Buffer.from('\nendstream'),
  ]);

/**
 * A one-page PDF whose content streams are `streams`: [that many spaces or these bytes, Flate
 * rounds]; the rounds are chained filters, each squaring what a byte uploaded decodes to.
 */
export function deflatedPdf(streams: [number | Buffer, number][]): Buffer {
  // 1 catalog, 2 pages, 3 page (its contents: the streams, objects 4..), 4.. the streams.
  const refs = streams.map((_, i) => `${i + 4} 0 R`).join(' ');
  const objs: (string | Buffer)[] = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents [${refs}] >>`,
  ];
  for (const [bytes, rounds] of streams) {
    let data: Buffer = typeof bytes === 'number' ? Buffer.alloc(bytes, 0x20) : bytes;
    for (let r = 0; r < rounds; r++) data = deflateSync(data, { level: 9 });
    objs.push(stream(rounds === 0 ? '' : `/Filter [${' /FlateDecode'.repeat(rounds)} ]`, data));
  }
  return assemble(objs);
}

const HELVETICA = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
const WORDS = 'the quick brown fox jumps over a lazy dog while parsing documents takes time and memory'.split(
  ' ',
);

/**
 * A book: `pages` pages of `lines` lines of ~90 characters of words (kerned TJ arrays, Helvetica),
 * each page's content Flate-compressed, as a text PDF is. 50 lines: ~1.5 KB a page (2,000 pages:
 * 2.9 MiB, 19 s to parse here).
 */
export function bookPdf(pages: number, lines = 50): Buffer {
  const objs: (string | Buffer)[] = ['<< /Type /Catalog /Pages 2 0 R >>', '', HELVETICA];
  const kids: string[] = [];
  let seed = 1;
  const word = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return WORDS[Math.floor((seed / 2147483648) * WORDS.length)]!;
  };
  for (let p = 0; p < pages; p++) {
    let ops = 'BT /F1 10 Tf 12 TL 50 780 Td\n';
    for (let l = 0; l < lines; l++) {
      let line = '';
      while (line.length < 90) line += `${word()} `;
      ops += `[(${line.slice(0, 45)}) -20 (${line.slice(45)})] TJ T*\n`;
    }
    objs.push(stream('/Filter /FlateDecode', deflateSync(`${ops}ET`)));
    objs.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${objs.length} 0 R >>`,
    );
    kids.push(`${objs.length} 0 R`);
  }
  objs[1] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${pages} >>`;
  return assemble(objs);
}

/**
 * One page whose content draws form X0 twice; each form draws the next twice; the last shows "a":
 * 2^levels text runs from ~180 bytes a level. No stream is large, so the decode budget never
 * charges much: pdf.js evaluates every call again. 16 levels took 18.7 s here, 30 would take days.
 */
export function formBombPdf(levels: number, pad = 0): Buffer {
  const first = 5;
  const objs: (string | Buffer)[] = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /X ${first} 0 R >> >> /Contents ${first + levels + 1} 0 R >>`,
    HELVETICA,
  ];
  for (let i = 0; i <= levels; i++) {
    const leaf = i === levels;
    const res = leaf ? '/Font << /F1 4 0 R >>' : `/XObject << /X ${first + i + 1} 0 R >>`;
    const ops = leaf ? 'BT /F1 10 Tf 50 700 Td (a) Tj ET' : '/X Do /X Do';
    objs.push(
      stream(`/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << ${res} >>`, Buffer.from(ops)),
    );
  }
  objs.push(stream('', Buffer.from('/X Do')));
  // `pad` bytes in an object nothing refers to: the size a budget by size reads, no work.
  if (pad > 0) objs.push(stream('', Buffer.alloc(pad, 0x20)));
  return assemble(objs);
}
