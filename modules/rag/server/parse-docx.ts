/**
 * A Word document's text (word/document.xml) to sections under its headings, read by htmlparser2
 * in XML mode as the .odt's content.xml is (parse-office.ts), streaming: no DOM is built.
 *
 * Not mammoth, which the task first named: it builds xmldom's DOM of the whole part and then its
 * own document model, and a 0.9 MiB .docx (pandoc's of 3 MB of READMEs, 13.7 MiB of XML) ran out
 * of a 512 MiB heap (the large parse worker's), where this reads it in ~0.4 s with a few MiB.
 *
 * Footnotes and endnotes (their parts beside it) follow the body, each under the heading path of
 * its reference with "Notes" last; headers, footers and comments are not read (parseDocxXml).
 *
 * A paragraph (w:p) is a section; its text is its runs' w:t, w:tab and w:br (deleted text is
 * w:delText and field codes w:instrText, never read; nor w:del, w:moveFrom, mc:Fallback: SKIP). A paragraph is a heading when its style (w:pStyle, looked up in
 * word/styles.xml, following w:basedOn) is named "heading N" or "Title", or carries an outline level
 * (w:outlineLvl, 0-based), as Word's navigation pane reads them.
 */
import { Parser } from 'htmlparser2';
import { Headings } from './headings.js';
import { MAX_HTML_DEPTH } from './parse-html.js';
import { addSection, type Parsed, ParseError, type Section, tidy } from './parse-result.js';

/** Note references whose heading path is kept (parseDocxXml). */
export const MAX_NOTE_REFERENCES = 50_000;

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

/** What a walk over a part's paragraphs tells its caller. */
interface ParagraphEvents {
  /** Any element outside SKIP, after the walker's own handling of it. */
  open?(name: string, attrs: Record<string, string>): void;
  close?(name: string): void;
  /** A paragraph's tidied, non-empty text and its heading level (by style or outline level). */
  paragraph(text: string, level: number | undefined): void;
}

/**
 * Walks a WordprocessingML part (the document, its footnotes or endnotes): each paragraph's runs'
 * w:t, w:tab and w:br; SKIP's elements left out. Streaming, depth-bounded.
 */
function walkParagraphs(xml: string, styles: Map<string, number>, events: ParagraphEvents): void {
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
        events.open?.(name, attrs);
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
          const text = p && tidy(p.text);
          if (text) events.paragraph(text, p.level);
        }
        events.close?.(name);
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.write(xml);
  parser.end();
}

/** The parts beside word/document.xml that this reads besides it. */
export interface DocxParts {
  styles?: string;
  footnotes?: string;
  endnotes?: string;
}

/** Where a note's section goes: under the heading path of its reference, with "Notes" last. */
export const notesHeading = (path: string | null | undefined) => (path ? `${path} > Notes` : 'Notes');

/**
 * notesHeading made once per path, shared by the notes under it: a string made per note (~1.2 KB
 * under the longest path) was ~300 MB for 250,000 one-letter notes naming one reference (a 59 KB
 * .docx) in the small parse worker's 96 MiB heap. Paths are Headings' strings, bounded there.
 */
export function sharedNotesHeadings(): (path: string | null | undefined) => string {
  const made = new Map<string | null | undefined, string>();
  return (path) => {
    let heading = made.get(path);
    if (heading === undefined) {
      heading = notesHeading(path);
      made.set(path, heading);
    }
    return heading;
  };
}

/**
 * word/document.xml's paragraphs under the headings that precede them; then its footnotes and
 * endnotes (citations, definitions: text a question may be about), each note one section under
 * notesHeading of where its reference is. Headers, footers and comments are not read: a header
 * is the same line above every page (page furniture that wins retrieval for nothing) and comments
 * are reviewers' chatter, not the document's text.
 */
export function parseDocxXml(documentXml: string, parts: DocxParts = {}): Parsed {
  const styles = headingStyles(parts.styles);
  const headings = new Headings();
  const sections: Section[] = [];
  // The heading path at each note reference ("footnote 3"), for the note's section. Bounded: a
  // reference is ~34 bytes of XML and ~110 of heap here (a million of them, 34 MiB of XML, peaked
  // at +175 MiB, +96 bounded), the small worker's heap is 96 MiB; past the bound (or with an id no
  // writer makes) a note is under "Notes" alone. A long book has a few thousand notes.
  const referencedUnder = new Map<string, string | null>();
  walkParagraphs(documentXml, styles, {
    open(name, attrs) {
      const id = attrs['w:id'] ?? '';
      if (referencedUnder.size >= MAX_NOTE_REFERENCES || id.length > 12) return;
      if (name === 'w:footnoteReference' || name === 'w:endnoteReference')
        referencedUnder.set(
          `${name === 'w:footnoteReference' ? 'footnote' : 'endnote'} ${id}`,
          headings.path,
        );
    },
    paragraph(text, level) {
      if (level !== undefined) headings.set(level, tidy(text.replace(/\s+/g, ' ')));
      else addSection(sections, { text, page: null, heading: headings.path });
    },
  });
  for (const [kind, xml] of [
    ['footnote', parts.footnotes],
    ['endnote', parts.endnotes],
  ] as const)
    if (xml) addNotes(xml, `w:${kind}`, (id) => referencedUnder.get(`${kind} ${id}`), sections);
  return { sections, pages: null };
}

/**
 * word/footnotes.xml's (or endnotes.xml's) notes: one section each, its paragraphs as lines. A note
 * with a w:type is Word's separator line or continuation notice, not a note.
 */
function addNotes(
  xml: string,
  element: string,
  pathOf: (id: string) => string | null | undefined,
  sections: Section[],
): void {
  let note: { id: string; lines: string[] } | undefined;
  const headingOf = sharedNotesHeadings();
  walkParagraphs(xml, new Map(), {
    open(name, attrs) {
      if (name === element) note = attrs['w:type'] ? undefined : { id: attrs['w:id'] ?? '', lines: [] };
    },
    paragraph(text) {
      note?.lines.push(text);
    },
    close(name) {
      if (name !== element || !note) return;
      const text = tidy(note.lines.join('\n'));
      if (text) addSection(sections, { text, page: null, heading: headingOf(pathOf(note.id)) });
      note = undefined;
    },
  });
}
