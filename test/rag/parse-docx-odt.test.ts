/**
 * rag reads Word (.docx: its main part and styles) and OpenDocument text (.odt: content.xml), both
 * by htmlparser2 in XML mode: the real writer's files in test/fixtures/rag/office (made by pandoc),
 * and hostile archives made here with jszip: a deflate bomb, a header lying about its size, parts
 * over the cap together, too many entries, a zip that is no document, a broken one, a "billion
 * laughs" DOCTYPE, absolute and `..` names, deep nesting.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { parseBudget } from '../../modules/rag/server/budget.js';
import { kindOf, parseDocument } from '../../modules/rag/server/parse.js';
import { MAX_SECTIONS } from '../../modules/rag/server/parse-result.js';
import { MAX_ZIP_ENTRIES } from '../../modules/rag/server/parse-zip.js';

const office = (name: string) => readFileSync(join(import.meta.dirname, '../fixtures/rag/office', name));

const CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`;
const RELS = `<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`;
const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
const para = (text: string) => `<w:p><w:r><w:t>${text}</w:t></w:r></w:p>`;
const documentXml = (body: string, prolog = '') =>
  `<?xml version="1.0" encoding="UTF-8"?>${prolog}<w:document ${W}><w:body>${body}</w:body></w:document>`;

/** A minimal .docx (jszip writing, WordprocessingML by hand), with `extra` entries. */
async function docx(document: string, extra: Record<string, string | Uint8Array> = {}): Promise<Buffer> {
  const zip = new JSZip();
  zip.file('[Content_Types].xml', CONTENT_TYPES);
  zip.file('_rels/.rels', RELS);
  zip.file('word/document.xml', document);
  for (const [name, data] of Object.entries(extra)) zip.file(name, data);
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

const ODT_NS =
  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"';
async function odt(body: string, prolog = ''): Promise<Buffer> {
  const zip = new JSZip();
  zip.file('mimetype', 'application/vnd.oasis.opendocument.text', { compression: 'STORE' });
  zip.file(
    'content.xml',
    `<?xml version="1.0" encoding="UTF-8"?>${prolog}<office:document-content ${ODT_NS}><office:body><office:text>${body}</office:text></office:body></office:document-content>`,
  );
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

const budget = (kind: 'docx' | 'odt', size: number) =>
  parseBudget(kind, size, 300, 10, (m) => Object.assign(new Error(m), { status: 413 }));

describe('rag: Word and OpenDocument documents', () => {
  it('their media types are kinds', () => {
    expect(kindOf('application/vnd.openxmlformats-officedocument.wordprocessingml.document')).toBe('docx');
    expect(kindOf('application/vnd.oasis.opendocument.text')).toBe('odt');
  });

  it('a .docx written by pandoc: its text under its headings (styles Heading 1/2), tables and lists kept', async () => {
    const parsed = await parseDocument('docx', office('harbour.docx'), 10);
    expect(parsed.kind).toBe('docx');
    const tide = parsed.sections.find((s) => s.text.includes('Kestrel Point turns'));
    expect(tide?.heading).toBe('Harbour Manual > Tides at Kestrel Point');
    expect(parsed.sections.find((s) => s.text === '4 metres')?.heading).toBe(
      'Harbour Manual > Tides at Kestrel Point',
    );
    expect(parsed.sections.find((s) => s.text === 'Petrol on request')?.heading).toBe(
      'Harbour Manual > Fuel',
    );
    expect(parsed.sections[0]).toEqual({
      text: 'The harbour office opens at eight in the morning and closes at six.',
      page: null,
      heading: 'Harbour Manual',
    });
  });

  it('an .odt written by pandoc: the same, its headings from text:h', async () => {
    const parsed = await parseDocument('odt', office('harbour.odt'), 10);
    expect(parsed.kind).toBe('odt');
    expect(parsed.sections.find((s) => s.text.includes('Kestrel Point turns'))?.heading).toBe(
      'Harbour Manual > Tides at Kestrel Point',
    );
    expect(parsed.sections.find((s) => s.text === 'South quay')?.heading).toBe(
      'Harbour Manual > Tides at Kestrel Point',
    );
    expect(parsed.sections.find((s) => s.text === 'Diesel at the north quay')?.heading).toBe(
      'Harbour Manual > Fuel',
    );
  });

  it('with its parse budget, as the worker parses (the watchdog given the whole milliseconds left)', async () => {
    for (const name of ['harbour.docx', 'harbour.odt'] as const) {
      const bytes = office(name);
      const kind = name.endsWith('docx') ? 'docx' : 'odt';
      expect((await parseDocument(kind, bytes, 10, 256, budget(kind, bytes.length))).sections.length).toBe(
        10,
      );
    }
  });

  it('the kind comes from the content: a .docx sent as an .odt is read as the .docx it is, and back', async () => {
    expect((await parseDocument('odt', office('harbour.docx'), 10)).kind).toBe('docx');
    expect((await parseDocument('docx', office('harbour.odt'), 10)).kind).toBe('odt');
  });

  it('DOCX tabs and breaks; deletions, moved-from text, field codes and Fallback copies left out; headings by style name, basedOn and outline level', async () => {
    const styles = `<?xml version="1.0"?><w:styles ${W}>
      <w:style w:type="paragraph" w:styleId="Titre1"><w:name w:val="heading 1"/></w:style>
      <w:style w:type="paragraph" w:styleId="Mine"><w:name w:val="My heading"/><w:basedOn w:val="Titre1"/></w:style>
      <w:style w:type="paragraph" w:styleId="Outl"><w:name w:val="Outlined"/><w:pPr><w:outlineLvl w:val="1"/></w:pPr></w:style>
    </w:styles>`;
    const p = (style: string, inner: string) =>
      `<w:p><w:pPr><w:pStyle w:val="${style}"/></w:pPr>${inner}</w:p>`;
    const body =
      p('Titre1', '<w:r><w:t>Chapitre</w:t></w:r>') +
      '<w:p><w:r><w:t>a</w:t><w:tab/><w:t>b</w:t><w:br/><w:t>c</w:t></w:r></w:p>' +
      '<w:p><w:del><w:r><w:delText>GONE</w:delText></w:r><w:r><w:t>GONE2</w:t></w:r></w:del><w:moveFrom><w:r><w:t>MOVED</w:t></w:r></w:moveFrom><w:r><w:instrText>PAGE</w:instrText><w:t>kept</w:t></w:r></w:p>' +
      '<w:p><w:r><mc:AlternateContent xmlns:mc="x"><mc:Choice><w:t>once</w:t></mc:Choice><mc:Fallback><w:t>twice</w:t></mc:Fallback></mc:AlternateContent></w:r></w:p>' +
      p('Outl', '<w:r><w:t>Section</w:t></w:r>') +
      '<w:p><w:r><w:t>under section</w:t></w:r></w:p>' +
      p('Mine', '<w:r><w:t>Other chapter</w:t></w:r>') +
      '<w:p><w:pPr><w:outlineLvl w:val="2"/></w:pPr><w:r><w:t>Direct</w:t></w:r></w:p>' +
      '<w:p><w:r><w:t>deep</w:t></w:r></w:p>';
    const parsed = await parseDocument(
      'docx',
      await docx(documentXml(body), { 'word/styles.xml': styles }),
      10,
    );
    expect(parsed.sections).toEqual([
      { text: 'a b\nc', page: null, heading: 'Chapitre' },
      { text: 'kept', page: null, heading: 'Chapitre' },
      { text: 'once', page: null, heading: 'Chapitre' },
      { text: 'under section', page: null, heading: 'Chapitre > Section' },
      { text: 'deep', page: null, heading: 'Other chapter > Direct' },
    ]);
  });

  it('ODT spaces, tabs and line breaks; tracked deletions and comments left out', async () => {
    const parsed = await parseDocument(
      'odt',
      await odt(
        '<text:h text:outline-level="2">Deep</text:h><text:p>a<text:s text:c="3"/>b<text:tab/>c<text:line-break/>d</text:p>' +
          '<text:tracked-changes><text:changed-region><text:deletion><text:p>GONE</text:p></text:deletion></text:changed-region></text:tracked-changes>' +
          '<text:p>kept<office:annotation><text:p>COMMENT</text:p></office:annotation></text:p>' +
          '<text:h text:outline-level="999999999">Huge level</text:h><text:p>under it</text:p>',
      ),
      10,
    );
    expect(parsed.sections.map((s) => s.text)).toEqual(['a b c\nd', 'kept', 'under it']);
    expect(parsed.sections[0]!.heading).toBe('Deep');
    expect(parsed.sections[2]!.heading).toBe('Deep > Huge level');
  });
});

describe('rag: hostile Word and OpenDocument archives', () => {
  it('not a zip at all (an old binary .doc, a text file): 400 saying so', async () => {
    await expect(
      parseDocument('docx', Buffer.from('\xd0\xcf\x11\xe0 an old .doc', 'latin1'), 10),
    ).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/^not a Word or OpenDocument document: it is not a zip archive/),
    });
  });

  it('a broken zip (cut short): 400, and a zip of something else: 400 naming it', async () => {
    const whole = office('harbour.docx');
    await expect(parseDocument('docx', whole.subarray(0, 4000), 10)).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(
        /^not a readable Word or OpenDocument document: its zip archive is broken/,
      ),
    });
    const sheet = new JSZip();
    sheet.file('mimetype', 'application/vnd.oasis.opendocument.spreadsheet');
    sheet.file('content.xml', '<x/>');
    await expect(
      parseDocument('odt', await sheet.generateAsync({ type: 'nodebuffer' }), 10),
    ).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining(
        'it is a zip archive of type application/vnd.oasis.opendocument.spreadsheet',
      ),
    });
    const bare = new JSZip();
    bare.file('hello.txt', 'hi');
    await expect(
      parseDocument('docx', await bare.generateAsync({ type: 'nodebuffer' }), 10),
    ).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('no Word or OpenDocument text document'),
    });
  });

  it('a zip sent as text or PDF: 400 naming the media types to send it as', async () => {
    await expect(parseDocument('text', office('harbour.docx'), 10)).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining(
        'the document is a zip archive, not plain text: send a .docx as application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      ),
    });
  });

  it('a deflate bomb (128 MiB of zeros in a ~130 KB entry): 413, counted while inflating, in well under its budget', async () => {
    const zeros = Buffer.alloc(64 * 1024 * 1024);
    const zip = new JSZip();
    zip.file('[Content_Types].xml', CONTENT_TYPES);
    zip.file('_rels/.rels', RELS);
    // 128 MiB of zeros in one entry, past the 64 MiB cap (the bundle's test sends 1 GiB).
    zip.file('word/document.xml', Buffer.concat([Buffer.from(documentXml('')), zeros, zeros]));
    const bomb = await zip.generateAsync({
      type: 'nodebuffer',
      compression: 'DEFLATE',
      compressionOptions: { level: 9 },
    });
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const t0 = performance.now();
    await expect(parseDocument('docx', bomb, 10, 256, budget('docx', bomb.length))).rejects.toMatchObject({
      status: 413,
      message: expect.stringMatching(/^the document's XML inflates to more than 64 MiB/),
    });
    expect(performance.now() - t0).toBeLessThan(20_000);
  }, 60_000);

  it("the cap is the worker's decode cap where that is smaller (the small worker: 32 MiB), and RAG_MAX_PDF_DECODED_MB is named so the large worker tries", async () => {
    const zip = new JSZip();
    zip.file('mimetype', 'application/vnd.oasis.opendocument.text');
    zip.file('content.xml', Buffer.alloc(40 * 1024 * 1024, 0x20));
    const doc = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
    await expect(parseDocument('odt', doc, 10, 32)).rejects.toMatchObject({
      status: 413,
      message: expect.stringMatching(/more than 32 MiB .*RAG_MAX_PDF_DECODED_MB/),
    });
  }, 60_000);

  it('a header that lies about the size: the inflated bytes are counted, not the claim', async () => {
    const zip = new JSZip();
    zip.file('mimetype', 'application/vnd.oasis.opendocument.text');
    zip.file('content.xml', Buffer.alloc(80 * 1024 * 1024, 0x20));
    const doc = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
    // content.xml's uncompressed size, in its local header and its central directory entry, set to 100
    const name = Buffer.from('content.xml');
    for (let i = doc.indexOf(name); i >= 0; i = doc.indexOf(name, i + 1)) {
      if (doc.readUInt32LE(i - 30) === 0x04034b50) doc.writeUInt32LE(100, i - 30 + 22);
      if (doc.readUInt32LE(i - 46) === 0x02014b50) doc.writeUInt32LE(100, i - 46 + 24);
    }
    await expect(parseDocument('odt', doc, 10)).rejects.toMatchObject({
      status: 413,
      message: expect.stringMatching(/^the document's XML inflates to more than 64 MiB/),
    });
  }, 60_000);

  it('the cap holds for the entries read together: two parts of 40 MiB each, under it alone, are a 413', async () => {
    const spaces = Buffer.alloc(40 * 1024 * 1024, 0x20);
    const doc = await docx(Buffer.concat([Buffer.from(documentXml(para('x'))), spaces]).toString(), {
      'word/styles.xml': Buffer.concat([
        Buffer.from(`<?xml version="1.0"?><w:styles ${W}>`),
        spaces,
        Buffer.from('</w:styles>'),
      ]),
    });
    await expect(parseDocument('docx', doc, 10)).rejects.toMatchObject({
      status: 413,
      message: expect.stringMatching(/^the document's XML inflates to more than 64 MiB/),
    });
  }, 60_000);

  it("a parse past its budget is stopped (as it inflates, or in its XML parse by the vm watchdog) with the budget's 413", async () => {
    const doc = await docx(documentXml(para('a lot of small paragraphs').repeat(600_000)));
    const late = { ms: 150, late: () => Object.assign(new Error('past its budget'), { status: 413 }) };
    const t0 = performance.now();
    await expect(parseDocument('docx', doc, 10, 256, late)).rejects.toMatchObject({
      status: 413,
      message: 'past its budget',
    });
    expect(performance.now() - t0).toBeLessThan(3000);
    // Without a budget it is read to the section bound (parse-result.ts MAX_SECTIONS) and refused there.
    await expect(parseDocument('docx', doc, 10)).rejects.toMatchObject({
      status: 413,
      message: expect.stringMatching(new RegExp(`more than ${MAX_SECTIONS} paragraphs`)),
    });
  }, 60_000);

  it('too many entries: 413 before any is inflated', async () => {
    const zip = new JSZip();
    zip.file('mimetype', 'application/vnd.oasis.opendocument.text');
    for (let i = 0; i <= MAX_ZIP_ENTRIES; i++) zip.file(`p/${i}`, '');
    const doc = await zip.generateAsync({ type: 'nodebuffer', compression: 'STORE' });
    await expect(parseDocument('odt', doc, 10)).rejects.toMatchObject({
      status: 413,
      message:
        'the Word or OpenDocument document holds more than 10000 zip entries, the most a document may have',
    });
  }, 60_000);

  it('"billion laughs": htmlparser2 expands no DTD entity, in either kind', async () => {
    let dtd = '<!DOCTYPE w:document [<!ENTITY lol "lollollollollollollollollollol">';
    for (let i = 1; i <= 9; i++) dtd += `<!ENTITY lol${i} "${`&lol${i === 1 ? '' : i - 1};`.repeat(10)}">`;
    dtd += ']>';
    const t0 = performance.now();
    const d = await parseDocument('docx', await docx(documentXml(para('&lol9;'), dtd)), 10);
    expect(d.sections.map((s) => s.text)).toEqual(['&lol9;']);
    const o = await parseDocument(
      'odt',
      await odt('<text:p>&lol9;</text:p>', dtd.replace('w:document', 'x')),
      10,
    );
    expect(o.sections.map((s) => s.text)).toEqual(['&lol9;']);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('entries named /etc/passwd, ../../x and a link: only keys in memory, the document reads as before', async () => {
    const zip = await JSZip.loadAsync(office('harbour.docx'));
    zip.file('/etc/passwd', 'root:x:0:0');
    zip.file('../../../tmp/RAGDOCX-escaped', 'x');
    zip.file('link', '/etc/shadow', { unixPermissions: 0o120777 });
    const doc = await zip.generateAsync({ type: 'nodebuffer', platform: 'UNIX' });
    const parsed = await parseDocument('docx', doc, 10);
    expect(parsed.sections.some((s) => s.text.includes('Kestrel Point'))).toBe(true);
  });

  it('nesting 100,000 deep: 413, not a crash', async () => {
    const n = 100_000;
    const deepDocx = await docx(
      documentXml(`${'<w:sdt><w:sdtContent>'.repeat(n)}${para('x')}${'</w:sdtContent></w:sdt>'.repeat(n)}`),
    );
    await expect(parseDocument('docx', deepDocx, 10)).rejects.toMatchObject({ status: 413 });
    const deepOdt = await odt(`${'<text:span>'.repeat(n)}x${'</text:span>'.repeat(n)}`);
    await expect(parseDocument('odt', deepOdt, 10)).rejects.toMatchObject({ status: 413 });
  }, 60_000);
});
