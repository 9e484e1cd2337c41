/**
 * Small .docx and .odt files built from the XML of their body, as the rag parse-attack tests
 * (test/security/rag-*) upload them: deflated at level 9, the smallest an attacker's document
 * would be, so that a test's size bound ("an 80 KB .docx") holds for what a hostile client sends.
 * Only the parts rag's parsers read: [Content_Types].xml and word/document.xml (+ word/footnotes.xml
 * when notes are given) for a .docx; mimetype and content.xml for an .odt.
 */
import JSZip from 'jszip';

export const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
export const ODT_TYPE = 'application/vnd.oasis.opendocument.text';
/** WordprocessingML's namespace declaration, for the `w:` elements of a body or notes part. */
export const W_NAMESPACE = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';

/** A .docx body paragraph of `text` (one run). */
export const docxParagraph = (text: string) => `<w:p><w:r><w:t>${text}</w:t></w:r></w:p>`;
/** A .docx body heading of `text` at outline level `level` (0 is the top). */
export const docxHeading = (level: number, text: string) =>
  `<w:p><w:pPr><w:outlineLvl w:val="${level}"/></w:pPr><w:r><w:t>${text}</w:t></w:r></w:p>`;

const SMALLEST = { type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 9 } } as const;

/**
 * A .docx whose word/document.xml body is `body`; with `footnotes` (even ''), also a
 * word/footnotes.xml holding them.
 */
export async function compressedDocx(body: string, footnotes?: string): Promise<Buffer> {
  const zip = new JSZip();
  zip.file(
    '[Content_Types].xml',
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
  );
  zip.file(
    'word/document.xml',
    `<?xml version="1.0"?><w:document ${W_NAMESPACE}><w:body>${body}</w:body></w:document>`,
  );
  if (footnotes !== undefined)
    zip.file(
      'word/footnotes.xml',
      `<?xml version="1.0"?><w:footnotes ${W_NAMESPACE}>${footnotes}</w:footnotes>`,
    );
  return zip.generateAsync(SMALLEST);
}

/** An .odt whose content.xml `office:text` holds `content`. */
export async function compressedOdt(content: string): Promise<Buffer> {
  const zip = new JSZip();
  zip.file('mimetype', ODT_TYPE, { compression: 'STORE' });
  zip.file(
    'content.xml',
    `<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>${content}</office:text></office:body></office:document-content>`,
  );
  return zip.generateAsync(SMALLEST);
}
