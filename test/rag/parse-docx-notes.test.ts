/**
 * A .docx's footnotes and endnotes (word/footnotes.xml, word/endnotes.xml) and an .odt's notes
 * (text:note) are indexed: after the body, each note one section under the heading path where its
 * reference is, with "Notes" last ("Tides > Notes"), so a question about a citation or a definition
 * finds it. The body paragraph around an .odt note stays whole. Headers, footers and comments are
 * not read (page furniture and review chatter). pandoc's files (test/fixtures/rag/office/tides.*)
 * and archives made here with jszip.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { parseBudget } from '../../modules/rag/server/budget.js';
import { parseDocument } from '../../modules/rag/server/parse.js';
import { MAX_NOTE_REFERENCES } from '../../modules/rag/server/parse-docx.js';

const office = (name: string) => readFileSync(join(import.meta.dirname, '../fixtures/rag/office', name));
const budget = (kind: 'docx' | 'odt', size: number) =>
  parseBudget(kind, size, 300, 10, (m) => Object.assign(new Error(m), { status: 413 }));

const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
const CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`;
const run = (text: string) => `<w:r><w:t xml:space="preserve">${text}</w:t></w:r>`;

async function docx(parts: Record<string, string>): Promise<Buffer> {
  const zip = new JSZip();
  zip.file('[Content_Types].xml', CONTENT_TYPES);
  for (const [name, data] of Object.entries(parts)) zip.file(name, data);
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

/** pandoc's tides.docx and tides.odt, as sections: the body, then each note under its reference's heading. */
const TIDES_SECTIONS = [
  [
    'Tides at Kestrel Point',
    'The tide turns every six hours. Boats wait at the outer mooring until it does.',
  ],
  ['Tides at Kestrel Point > The quay', 'The quay was rebuilt in stone after the storm.'],
  [
    'Tides at Kestrel Point > Notes',
    'Measured by the harbourmaster with the zorblat gauge, calibrated each spring.',
  ],
  [
    'Tides at Kestrel Point > The quay > Notes',
    'The storm of the great flood, per the parish records.\nA second paragraph of the same note: the stone came from Quarrington.',
  ],
];

async function tidesSections(kind: 'docx' | 'odt') {
  const bytes = office(`tides.${kind}`);
  const parsed = await parseDocument(kind, bytes, 10, 256, budget(kind, bytes.length));
  return parsed.sections.map((s) => [s.heading, s.text]);
}

describe('rag: notes in Word and OpenDocument documents', () => {
  it("pandoc's .docx: footnotes after the body, under the heading of their reference, then Notes", async () => {
    expect(await tidesSections('docx')).toEqual(TIDES_SECTIONS);
  });

  it("pandoc's .odt: the same notes, and the paragraph around each reference stays whole", async () => {
    expect(await tidesSections('odt')).toEqual(TIDES_SECTIONS);
  });

  it('.docx endnotes too; separators, headers, footers and comments are not read', async () => {
    const bytes = await docx({
      'word/document.xml': `<w:document ${W}><w:body><w:p>${run('Body text.')}<w:r><w:endnoteReference w:id="3"/></w:r><w:r><w:commentReference w:id="0"/></w:r></w:p><w:p>${run('Unreferenced')}</w:p></w:body></w:document>`,
      'word/endnotes.xml': `<w:endnotes ${W}><w:endnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:endnote><w:endnote w:type="continuationNotice" w:id="0"><w:p>${run('CONTINUED')}</w:p></w:endnote><w:endnote w:id="3"><w:p><w:r><w:endnoteRef/></w:r>${run(' An endnote defining a quillet.')}<w:del>${run('GONE')}</w:del></w:p></w:endnote><w:endnote w:id="9"><w:p>${run('Orphan note.')}</w:p></w:endnote></w:endnotes>`,
      'word/header1.xml': `<w:hdr ${W}><w:p>${run('HEADER on every page')}</w:p></w:hdr>`,
      'word/footer1.xml': `<w:ftr ${W}><w:p>${run('FOOTER page 1')}</w:p></w:ftr>`,
      'word/comments.xml': `<w:comments ${W}><w:comment w:id="0"><w:p>${run('COMMENT from a reviewer')}</w:p></w:comment></w:comments>`,
    });
    const parsed = await parseDocument('docx', bytes, 10);
    expect(parsed.sections.map((s) => [s.heading, s.text])).toEqual([
      [null, 'Body text.'],
      [null, 'Unreferenced'],
      ['Notes', 'An endnote defining a quillet.'],
      ['Notes', 'Orphan note.'],
    ]);
  });

  it('an .odt note inside a heading stays out of the heading; its annotations stay out', async () => {
    const zip = new JSZip();
    zip.file('mimetype', 'application/vnd.oasis.opendocument.text', { compression: 'STORE' });
    zip.file(
      'content.xml',
      `<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text><text:h text:outline-level="1">Gauges<text:note text:note-class="endnote"><text:note-citation>i</text:note-citation><text:note-body><text:p>Endnote in a heading.</text:p></text:note-body></text:note></text:h><text:p>Before<office:annotation><text:p>COMMENT</text:p></office:annotation> after.</text:p></office:text></office:body></office:document-content>`,
    );
    const bytes = await zip.generateAsync({ type: 'nodebuffer' });
    const parsed = await parseDocument('odt', bytes, 10);
    expect(parsed.sections.map((s) => [s.heading, s.text])).toEqual([
      ['Gauges', 'Before after.'],
      ['Notes', 'Endnote in a heading.'],
    ]);
  });
  it('the reference places kept are bounded: a note past MAX_NOTE_REFERENCES is under Notes alone', async () => {
    const refs = Array.from(
      { length: MAX_NOTE_REFERENCES + 1 },
      (_, i) => `<w:footnoteReference w:id="${i}"/>`,
    );
    const bytes = await docx({
      'word/document.xml': `<w:document ${W}><w:body><w:p><w:pPr><w:outlineLvl w:val="0"/></w:pPr>${run('Gauges')}</w:p><w:p>${run('Body.')}<w:r>${refs.join('')}</w:r></w:p></w:body></w:document>`,
      'word/footnotes.xml': `<w:footnotes ${W}><w:footnote w:id="0"><w:p>${run('First.')}</w:p></w:footnote><w:footnote w:id="${MAX_NOTE_REFERENCES}"><w:p>${run('Last.')}</w:p></w:footnote></w:footnotes>`,
    });
    const parsed = await parseDocument('docx', bytes, 10);
    expect(parsed.sections.map((s) => [s.heading, s.text])).toEqual([
      ['Gauges', 'Body.'],
      ['Gauges > Notes', 'First.'],
      ['Notes', 'Last.'],
    ]);
  });
});

/** word/_rels/document.xml.rels with one Relationship per [type, target, extra attributes]. */
const rels = (...list: [type: string, target: string, extra?: string][]) =>
  `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${list
    .map(
      ([type, target, extra], i) =>
        `<Relationship Id="rId${i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/${type}" Target="${target}"${extra ? ` ${extra}` : ''}/>`,
    )
    .join('')}</Relationships>`;

describe('rag: a .docx names its notes parts by its relationships (word/_rels/document.xml.rels)', () => {
  const body = `<w:document ${W}><w:body><w:p><w:pPr><w:pStyle w:val="Gauge"/></w:pPr>${run('Gauges')}</w:p><w:p>${run('Body.')}<w:r><w:footnoteReference w:id="1"/><w:endnoteReference w:id="2"/></w:r></w:p></w:body></w:document>`;
  const styles = `<w:styles ${W}><w:style w:type="paragraph" w:styleId="Gauge"><w:name w:val="heading 1"/></w:style></w:styles>`;
  const footnote = (text: string) =>
    `<w:footnotes ${W}><w:footnote w:id="1"><w:p>${run(text)}</w:p></w:footnote></w:footnotes>`;
  const endnote = (text: string) =>
    `<w:endnotes ${W}><w:endnote w:id="2"><w:p>${run(text)}</w:p></w:endnote></w:endnotes>`;

  it('notes and styles under other part names are read where the relationships point', async () => {
    const bytes = await docx({
      'word/document.xml': body,
      'word/_rels/document.xml.rels': rels(
        ['styles', 'look/my%20styles.xml'],
        ['footnotes', 'notes/fn-part1.xml'],
        ['endnotes', '/word/../endings.xml'],
        ['comments', 'comments.xml'],
      ),
      'word/look/my styles.xml': styles,
      'word/notes/fn-part1.xml': footnote('Gauged by the zorblat, each spring.'),
      'endings.xml': endnote('An endnote at the archive root.'),
      // The fixed names hold decoys: the relationships name other parts, so these are not the notes.
      'word/footnotes.xml': footnote('DECOY footnote'),
      'word/endnotes.xml': endnote('DECOY endnote'),
      'word/styles.xml': `<w:styles ${W}/>`,
    });
    const parsed = await parseDocument('docx', bytes, 10);
    expect(parsed.sections.map((s) => [s.heading, s.text])).toEqual([
      ['Gauges', 'Body.'],
      ['Gauges > Notes', 'Gauged by the zorblat, each spring.'],
      ['Gauges > Notes', 'An endnote at the archive root.'],
    ]);
  });

  it('a target outside the archive, external or missing is ignored, never followed; the body is read', async () => {
    const bytes = await docx({
      'word/document.xml': body,
      'word/_rels/document.xml.rels': rels(
        ['styles', '../../../etc/passwd'],
        ['footnotes', 'https://example.com/notes.xml', 'TargetMode="External"'],
        ['endnotes', 'no-such-part.xml'],
      ),
      'etc/passwd': styles, // what a Target climbing out would reach, were '..' clamped at the root
      'word/footnotes.xml': footnote('DECOY footnote'),
      'word/endnotes.xml': endnote('DECOY endnote'),
    });
    const parsed = await parseDocument('docx', bytes, 10);
    expect(parsed.sections.map((s) => [s.heading, s.text])).toEqual([
      [null, 'Gauges'],
      [null, 'Body.'],
    ]);
  });

  it('without the relationships part, the fixed names beside the main part are read', async () => {
    const bytes = await docx({
      'word/document.xml': body,
      'word/styles.xml': styles,
      'word/footnotes.xml': footnote('The footnote.'),
      'word/endnotes.xml': endnote('The endnote.'),
    });
    const parsed = await parseDocument('docx', bytes, 10);
    expect(parsed.sections.map((s) => [s.heading, s.text])).toEqual([
      ['Gauges', 'Body.'],
      ['Gauges > Notes', 'The footnote.'],
      ['Gauges > Notes', 'The endnote.'],
    ]);
  });
});
