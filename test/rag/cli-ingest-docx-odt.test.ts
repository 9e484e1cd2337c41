import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ragStandIn, sourceOf } from '../helpers/installed-rag.js';
import { run, tempDir } from '../helpers/pkg.js';

/**
 * `blueprint rag ingest DIR` picks up Word (.docx) and OpenDocument (.odt) files below a folder (any
 * case) and sends each with its media type; the module reads which of the two it is from its content
 * (test/rag/parse-docx-odt). The built executable against a stand-in for the module.
 */
const root = tempDir('bp-rag-cli-docx-');
const sent: Array<{ source: string; type: string | undefined; bytes: number }> = [];
let n = 0;

ragStandIn(root, (req, res) => {
  let bytes = 0;
  req.on('data', (d: Buffer) => {
    bytes += d.length;
  });
  req.on('end', () => {
    if (req.method !== 'POST')
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"documents":[]}');
    sent.push({ source: sourceOf(req), type: req.headers['content-type'], bytes });
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: `id-${++n}`, source: sourceOf(req), chunks: 3 }));
  });
});

const fixture = (name: string) => join(import.meta.dirname, '../fixtures/rag/office', name);

describe('rag ingest of a folder of Word and OpenDocument files', () => {
  it('sends each .docx and .odt (any case) with its media type, nothing passed over', async () => {
    const docs = tempDir('bp-rag-office-');
    mkdirSync(join(docs, 'sub'));
    copyFileSync(fixture('harbour.docx'), join(docs, 'harbour.docx'));
    copyFileSync(fixture('harbour.odt'), join(docs, 'sub', 'harbour.odt'));
    copyFileSync(fixture('harbour.docx'), join(docs, 'sub', 'REPORT.DOCX'));
    const r = await run(['--root', root, 'rag', 'ingest', docs]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('3 indexed, 0 duplicates, 0 failed\n');
    const docx = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
    expect(sent.map((s) => [s.source.split('/').pop(), s.type]).sort()).toEqual([
      ['REPORT.DOCX', docx],
      ['harbour.docx', docx],
      ['harbour.odt', 'application/vnd.oasis.opendocument.text'],
    ]);
    expect(sent.every((s) => s.bytes > 9000)).toBe(true);
  });
});
