/**
 * Word (.docx) and OpenDocument text (.odt) documents to text sections with their heading paths.
 *
 * Which of the two a document is comes from its content, not its name or Content-Type: a zip whose
 * `mimetype` entry says application/vnd.oasis.opendocument.text is an ODT, one whose
 * [Content_Types].xml names a WordprocessingML main part is a DOCX; any other zip (a spreadsheet, a
 * slide deck, an EPUB) and anything not a zip is a 400 that says what it is.
 *
 * Both are read by htmlparser2 in XML mode, streaming, which expands only XML's five predefined
 * entities (a "billion laughs" DOCTYPE stays the text it is): the .docx's main part, its styles and
 * its footnotes and endnotes where its relationships name them (parse-docx.ts, parse-docx-rels.ts),
 * the .odt's content.xml with its notes (parse-odt.ts). The archive is read in memory through
 * parse-zip.ts's caps (entries, inflated bytes, time); pictures and other parts are never inflated.
 */
import { Parser } from 'htmlparser2';
import { parseDocxXml } from './parse-docx.js';
import { type DocxPartType, relatedParts, relsPartOf } from './parse-docx-rels.js';
import { parseOdtContent } from './parse-odt.js';
import { type Parsed, ParseError } from './parse-result.js';
import { type BoundedZip, isZip, openZip, type ZipLimits } from './parse-zip.js';

export type OfficeKind = 'docx' | 'odt';

export const DOCX_MEDIA_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
export const ODT_MEDIA_TYPE = 'application/vnd.oasis.opendocument.text';

/** The main document parts a [Content_Types].xml names for a Word document (plain, macros, templates). */
const WORD_MAIN_PARTS =
  /application\/vnd\.(openxmlformats-officedocument\.wordprocessingml\.(document|template)\.main\+xml|ms-word\.(document|template)\.macroEnabled(Template)?\.main\+xml)/;

/** What a zip that is neither names itself as, for the refusal. */
function otherZip(mimetype: string | undefined, types: string | undefined): string {
  if (mimetype) return `a zip archive of type ${mimetype.slice(0, 80)}`;
  if (types && /spreadsheetml/.test(types)) return 'an Excel workbook';
  if (types && /presentationml/.test(types)) return 'a PowerPoint presentation';
  return 'a zip archive but no Word or OpenDocument text document';
}

const NOT_OFFICE =
  'save it as .docx (Word) or .odt (OpenDocument text), or send it with the Content-Type of what it is';

/** Opens the archive and tells which kind it is, by its content. */
async function openOffice(
  bytes: Uint8Array,
  limits: ZipLimits,
): Promise<{ kind: OfficeKind; zip: BoundedZip; main?: string }> {
  if (!isZip(bytes))
    throw new ParseError(
      400,
      `not a Word or OpenDocument document: it is not a zip archive, as every .docx and .odt is (an old binary .doc? ${NOT_OFFICE})`,
    );
  const zip = await openZip(bytes, 'Word or OpenDocument document', limits);
  const mimetype = zip.exists('mimetype') ? (await zip.readText('mimetype')).trim() : undefined;
  if (mimetype === ODT_MEDIA_TYPE || mimetype === `${ODT_MEDIA_TYPE}-template`) return { kind: 'odt', zip };
  const types = zip.exists('[Content_Types].xml') ? await zip.readText('[Content_Types].xml') : undefined;
  const main = types && !mimetype ? wordMainPart(types) : undefined;
  if (main) return { kind: 'docx', zip, main };
  throw new ParseError(
    400,
    `not a Word or OpenDocument text document: it is ${otherZip(mimetype, types)}; ${NOT_OFFICE}`,
  );
}

/** Deep nesting overflows a parser's recursion: the document's doing, its 413, not a 500. */
const tooDeep = (err: RangeError) =>
  new ParseError(413, `the document is nested too deeply to parse (${err.message})`);

/** The part [Content_Types].xml gives the Word main content type ("/word/document.xml"), as a zip name. */
function wordMainPart(types: string): string | undefined {
  let part: string | undefined;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (part === undefined && name === 'override' && WORD_MAIN_PARTS.test(attrs.contenttype ?? ''))
          part = (attrs.partname ?? '').replace(/^\//, '');
      },
    },
    { xmlMode: false, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(types.slice(0, 1024 * 1024));
  parser.end();
  return part || undefined;
}

async function parseDocx(zip: BoundedZip, main: string, limits: ZipLimits): Promise<Parsed> {
  if (!zip.exists(main)) throw new ParseError(400, `not a readable Word document: it has no ${main}`);
  const xml = await zip.readText(main);
  // Styles and notes are the parts the main part's relationships name (parse-docx-rels.ts); a
  // document without that part has them beside the main part (word/styles.xml, word/footnotes.xml),
  // as Word and pandoc write them. Without styles no paragraph is a heading by style. Read under
  // the same caps.
  const rels = relsPartOf(main);
  const named = zip.exists(rels) ? relatedParts(main, await zip.readText(rels), zip.exists) : undefined;
  const dir = main.slice(0, main.lastIndexOf('/') + 1);
  const part = async (type: DocxPartType) => {
    const name = named ? named.get(type) : `${dir}${type}.xml`;
    return name !== undefined && zip.exists(name) ? await zip.readText(name) : undefined;
  };
  const parts = {
    styles: await part('styles'),
    footnotes: await part('footnotes'),
    endnotes: await part('endnotes'),
  };
  limits.checkTime();
  try {
    return limits.within(() => parseDocxXml(xml, parts));
  } catch (err) {
    throw err instanceof RangeError && /call stack/i.test(err.message) ? tooDeep(err) : err;
  }
}

async function parseOdt(zip: BoundedZip, limits: ZipLimits): Promise<Parsed> {
  if (!zip.exists('content.xml'))
    throw new ParseError(400, 'not a readable OpenDocument document: it has no content.xml');
  const xml = await zip.readText('content.xml');
  limits.checkTime();
  try {
    return limits.within(() => parseOdtContent(xml));
  } catch (err) {
    throw err instanceof RangeError && /call stack/i.test(err.message) ? tooDeep(err) : err;
  }
}

/** A .docx or .odt (which one, by its content) to sections; `kind` is the one it turned out to be. */
export async function parseOffice(
  bytes: Uint8Array,
  limits: ZipLimits,
): Promise<Parsed & { kind: OfficeKind }> {
  const { kind, zip, main } = await openOffice(bytes, limits);
  const parsed = kind === 'docx' ? await parseDocx(zip, main!, limits) : await parseOdt(zip, limits);
  return { ...parsed, kind };
}
