import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/pkg.js';
import { fakeRagModule, json } from './fake-rag-module.js';

// QA10's walk: `blueprint --json rag ingest` and `rag list` gave "pages": 0 for an HTML, Markdown
// or text document, where the module says null (no pages: not a PDF), so a script could not tell
// them from a PDF of no page; and left out the module's `kind`. The answers below are the real
// rag module's, as the demo box gave them.

const fake = fakeRagModule('bp-rag-json-');
const record = {
  html: {
    id: '6debb0cf-8096-411f-8958-359d89d3edec',
    source: 'docs/faq.html',
    collection: 'default',
    sha256: '613b294d4e4259b0702a114983eabcd5e5fe2211c30fa0bf8b11c57a9426e719',
    chunks: 1,
    pages: null,
    bytes: 162,
    kind: 'html',
    createdAt: '2026-12-06T04:33:17.025Z',
  },
  pdf: {
    id: 'cb9a990f-122a-4131-9d30-d0a4f10ccda3',
    source: 'docs/replace.pdf',
    collection: 'default',
    sha256: '15373548a34510df1e78bbfda3e2e352269ae2995af2b209b8059c952b3bf15c',
    chunks: 1,
    pages: 1,
    bytes: 620,
    kind: 'pdf',
    createdAt: '2026-12-06T04:33:17.258Z',
  },
};

describe('blueprint --json rag: a document as the module describes it', () => {
  it('ingest and list: pages null where the module says so, a PDF its pages, and the kind', async () => {
    const docs = join(tempDir('bp-rag-json-docs-'), 'docs');
    mkdirSync(docs);
    writeFileSync(join(docs, 'faq.html'), '<p>faq</p>');
    writeFileSync(join(docs, 'replace.pdf'), '%PDF-1.4\n');
    fake.handler = (req, _b, res) => {
      if (req.method === 'GET') return json(res, 200, { documents: [record.html, record.pdf] });
      const source = new URL(req.url!, 'http://x').searchParams.get('source')!;
      json(res, 201, { ...(source.endsWith('.pdf') ? record.pdf : record.html), duplicate: false });
    };
    const r = await run(['--root', fake.root, '--json', 'rag', 'ingest', docs]);
    expect(r.code, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { document: Record<string, unknown> }[] }).files;
    expect(files.map((f) => [f.document.pages, f.document.kind])).toEqual([
      [null, 'html'],
      [1, 'pdf'],
    ]);
    const l = await run(['--root', fake.root, '--json', 'rag', 'list']);
    expect(l.code, l.stderr).toBe(0);
    const listed = JSON.parse(l.stdout) as Record<string, unknown>[];
    expect(listed.map((d) => [d.pages, d.kind])).toEqual([
      [null, 'html'],
      [1, 'pdf'],
    ]);
    // The table and the lines as before: no pages is '-', and none named.
    const t = await run(['--root', fake.root, 'rag', 'list']);
    expect(t.stdout).toMatch(/docs\/faq\.html +default +1 +- +162 B/);
  });
});
