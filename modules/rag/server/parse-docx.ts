/**
 * A Word document's text (word/document.xml) to sections under its headings, read by htmlparser2
 * in XML mode as the .odt's content.xml is (parse-office.ts), streaming: no DOM is built.
 *
 * Not mammoth, which the task first named: it builds xmldom's DOM of the whole part and then its
 * own document model, and a 0.9 MiB .docx (pandoc's of 3 MB of READMEs, 13.7 MiB of XML) ran out
 * of a 512 MiB heap (the large parse worker's), where this reads it in ~0.4 s with a few MiB.
 *
 * A paragraph (w:p) is a section; its text is its runs' w:t, w:tab and w:br (deleted text is
 * w:delText and field codes w:instrText, never read; nor w:del, w:moveFrom, mc:Fallback: SKIP). A paragraph is a heading when its style (w:pStyle, looked up in
 * word/styles.xml, following w:basedOn) is named "heading N" or "Title", or carries an outline level
 * (w:outlineLvl, 0-based), as Word's navigation pane reads them.
 */
import { Parser } from 'htmlparser2';
import { Headings } from './headings.js';
import { MAX_HTML_DEPTH } from './parse-html.js';
import { type Parsed, ParseError, type Section, tidy } from './parse-result.js';

/** Word's outline levels are 0–8 (headings 1–9). */
const MAX_LEVEL = 9;

const tooDeep = () =>
  new ParseError(
    413,
    `the document is nested too deeply to parse (more than ${MAX_HTML_DEPTH} elements open at once)`,
  );

/** Heading level (1-based) of each paragraph style id in styles.xml that is a heading. */
export function headingStyles(stylesXml: string | undefined): Map<string, number> {
  const levels = new Map<string, number>();
  if (!stylesXml) return levels;
  const based = new Map<string, string>();
  let id: string | undefined;
  let depth = 0;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (++depth > MAX_HTML_DEPTH) throw tooDeep();
        if (name === 'w:style') id = attrs['w:type'] === 'paragraph' ? attrs['w:styleId'] : undefined;
        if (id === undefined) return;
        const val = attrs['w:val'] ?? '';
        if (name === 'w:name') {
          const m = /^heading ([1-9])$/i.exec(val.trim());
          if (m) levels.set(id, Number(m[1]));
          else if (/^title$/i.test(val.trim())) levels.set(id, 1);
        } else if (name === 'w:outlineLvl' && !levels.has(id)) {
          const n = Number(val);
          if (Number.isInteger(n) && n >= 0 && n < MAX_LEVEL) levels.set(id, n + 1);
        } else if (name === 'w:basedOn') based.set(id, val);
      },
      onclosetag(name) {
        depth--;
        if (name === 'w:style') id = undefined;
      },
    },
    { xmlMode: true },
  );
  parser.write(stylesXml);
  parser.end();
  // A style based on a heading style is a heading too ("Heading 1 Char" is a run style: not here).
  for (const start of based.keys()) {
    let s: string | undefined = start;
    for (let hops = 0; s !== undefined && !levels.has(s) && hops < 16; hops++) s = based.get(s);
    if (s !== undefined && levels.has(s) && s !== start) levels.set(start, levels.get(s)!);
  }
  return levels;
}

/**
 * Not the document's text: a tracked deletion (w:del; its runs hold w:delText, but not every writer
 * keeps to that), the old place of moved text (w:moveFrom; it is read at w:moveTo), the Fallback
 * copy of mc:AlternateContent (its Choice is read).
 */
const SKIP = new Set(['w:del', 'w:moveFrom', 'mc:Fallback']);

interface Paragraph {
  text: string;
  level: number | undefined;
}

/** word/document.xml's paragraphs, under the headings that precede them. */
export function parseDocxXml(documentXml: string, stylesXml?: string): Parsed {
  const styles = headingStyles(stylesXml);
  const headings = new Headings();
  const sections: Section[] = [];
  // Paragraphs open now: a text box's paragraphs sit inside a run of the paragraph around them.
  const open: Paragraph[] = [];
  let depth = 0;
  let inText = 0;
  let skipping = 0;
  const add = (s: string) => {
    const p = open.at(-1);
    if (p) p.text += s;
  };
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (++depth > MAX_HTML_DEPTH) throw tooDeep();
        if (SKIP.has(name)) skipping++;
        if (skipping) return;
        if (name === 'w:p') open.push({ text: '', level: undefined });
        else if (name === 'w:t') inText++;
        else if (name === 'w:tab') add('\t');
        else if (name === 'w:br' || name === 'w:cr') add('\n');
        else if (name === 'w:pStyle') {
          const p = open.at(-1);
          const level = styles.get(attrs['w:val'] ?? '');
          if (p && level !== undefined) p.level = level;
        } else if (name === 'w:outlineLvl') {
          const p = open.at(-1);
          const n = Number(attrs['w:val']);
          if (p && Number.isInteger(n) && n >= 0 && n < MAX_LEVEL) p.level = n + 1;
        }
      },
      ontext(text) {
        if (inText && !skipping) add(text);
      },
      onclosetag(name) {
        depth--;
        if (SKIP.has(name)) {
          skipping = Math.max(0, skipping - 1);
          return;
        }
        if (skipping) return;
        if (name === 'w:t') inText = Math.max(0, inText - 1);
        else if (name === 'w:p') {
          const p = open.pop();
          if (!p) return;
          const text = tidy(p.text);
          if (!text) return;
          if (p.level !== undefined) headings.set(p.level, tidy(text.replace(/\s+/g, ' ')));
          else sections.push({ text, page: null, heading: headings.path });
        }
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.write(documentXml);
  parser.end();
  return { sections, pages: null };
}
