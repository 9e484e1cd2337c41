/**
 * rag 0.4.0: a .docx whose relationships name the main part itself (word/document.xml) as its
 * styles, footnotes and endnotes has that part read four times. Guard (REVIEW12, found sound): each
 * read counts against the one inflated-bytes cap (parse-zip.ts), so a main part of 3 MiB under a
 * 8 MiB cap is refused with the cap's error, not read four times past it; under a cap that holds
 * the four reads, the document's text is indexed once as text (the main part read as notes or
 * styles holds no note or style).
 */
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { parseOffice } from '../../modules/rag/server/parse-office.js';

const W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';
const R = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

async function selfNamedDocx(paragraphs: number): Promise<Uint8Array> {
  const zip = new JSZip();
  zip.file(
    '[Content_Types].xml',
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
  );
  const body = Array.from(
    { length: paragraphs },
    (_, i) => `<w:p><w:r><w:t>paragraph ${i} of the body</w:t></w:r></w:p>`,
  );
  zip.file(
    'word/document.xml',
    `<?xml version="1.0"?><w:document xmlns:w="${W}"><w:body>${body.join('')}</w:body></w:document>`,
  );
  zip.file(
    'word/_rels/document.xml.rels',
    `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${[
      'styles',
      'footnotes',
      'endnotes',
    ]
      .map((t, i) => `<Relationship Id="r${i}" Type="${R}/${t}" Target="document.xml"/>`)
      .join('')}</Relationships>`,
  );
  return zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' });
}

const limits = (maxInflatedBytes: number) => ({
  maxInflatedBytes,
  tooLarge: () => Object.assign(new Error('past the inflated cap'), { status: 413 }),
  checkTime: () => {},
  within: <T>(fn: () => T) => fn(),
});

describe('a .docx whose relationships name its main part as styles and notes', () => {
  it('each read counts against the one cap', async () => {
    const docx = await selfNamedDocx(60_000); // ~3 MiB of main part
    await expect(parseOffice(docx, limits(8 * 1024 ** 2))).rejects.toThrow(/past the inflated cap/);
  }, 60_000);

  it('within the cap: the body once, no notes', async () => {
    const parsed = await parseOffice(await selfNamedDocx(3), limits(8 * 1024 ** 2));
    const text = JSON.stringify(parsed);
    expect(text.match(/paragraph 1 of the body/g)).toHaveLength(1);
  });
});
