/**
 * An OpenDocument text's content.xml to sections under its headings (text:h, by outline level),
 * read by htmlparser2 in XML mode, streaming (parse-office.ts opens the archive under its caps).
 *
 * Notes (text:note: footnotes and endnotes) sit inside the paragraph that cites them; their text is
 * taken out of it, so that paragraph stays one section, and follows the body, each note one section
 * under the heading path where it is cited with "Notes" last (notesHeading, as a .docx's notes).
 * Comments (office:annotation) and tracked deletions are not read; headers and footers live in
 * styles.xml, which is not read for text.
 */
import { Parser } from 'htmlparser2';
import { Headings } from './headings.js';
import { sharedNotesHeadings } from './parse-docx.js';
import { MAX_HTML_DEPTH } from './parse-html.js';
import { addSection, type Parsed, ParseError, type Section, tidy } from './parse-result.js';

/** ODF elements whose text is not the document's body text. */
const ODT_SKIP = new Set([
  'office:annotation',
  'office:annotation-end',
  'text:tracked-changes', // deleted text kept for change tracking
  'text:note-citation', // the note's number; its body is kept
  'text:sequence-decls',
  'text:variable-decls',
  'text:user-field-decls',
  'office:forms',
  'svg:title',
  'svg:desc',
]);
const ODT_BLOCK = new Set(['text:p', 'text:list-item', 'table:table-cell', 'text:note-body']);
/** ODF allows outline levels 1–10; a larger one would grow the heading stack to its size. */
const MAX_OUTLINE_LEVEL = 10;

/** ODT's content.xml: paragraphs under the text:h headings that precede them, then the notes. */
export function parseOdtContent(xml: string): Parsed {
  const headings = new Headings();
  const sections: Section[] = [];
  // Bounded as the sections are (addSection), and appended to them after the body.
  const notes: Section[] = [];
  let depth = 0;
  let skipping = 0;
  let inBody = 0;
  let buf = '';
  let heading: { level: number; text: string } | undefined;
  // The note being read (a note inside a note, which ODF does not allow, is read as its text).
  let note: { text: string; heading: string } | undefined;
  let inNote = 0;
  const notesHeading = sharedNotesHeadings();
  const flush = () => {
    const text = tidy(buf);
    buf = '';
    if (text) addSection(sections, { text, page: null, heading: headings.path });
  };
  const add = (s: string) => {
    if (note) note.text += s;
    else if (heading) heading.text += s;
    else buf += s;
  };
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (++depth > MAX_HTML_DEPTH)
          throw new ParseError(
            413,
            `the document is nested too deeply to parse (more than ${MAX_HTML_DEPTH} elements open at once)`,
          );
        if (name === 'office:text') inBody++;
        if (ODT_SKIP.has(name)) skipping++;
        if (skipping || !inBody) return;
        if (name === 'text:note') {
          if (inNote++ === 0) note = { text: '', heading: notesHeading(headings.path) };
        } else if (note && (name === 'text:h' || ODT_BLOCK.has(name))) add('\n');
        else if (name === 'text:h') {
          flush();
          const level = Math.trunc(Number(attrs['text:outline-level'] ?? 1));
          heading = {
            level: Number.isFinite(level) ? Math.min(Math.max(level, 1), MAX_OUTLINE_LEVEL) : 1,
            text: '',
          };
        } else if (ODT_BLOCK.has(name)) flush();
        else if (name === 'text:s')
          add(' '.repeat(Math.min(Math.max(Number(attrs['text:c'] ?? 1) || 1, 1), 16)));
        else if (name === 'text:tab') add('\t');
        else if (name === 'text:line-break') add('\n');
      },
      ontext(text) {
        if (skipping || !inBody) return;
        // Whitespace between elements is the file's layout; spaces in text are text:s or single.
        add(text.replace(/[\r\n\t]+/g, ' '));
      },
      onclosetag(name) {
        depth--;
        if (ODT_SKIP.has(name)) {
          skipping = Math.max(0, skipping - 1);
          return;
        }
        if (name === 'office:text') {
          flush();
          inBody = Math.max(0, inBody - 1);
        }
        if (skipping || !inBody) return;
        if (name === 'text:note' && inNote > 0) {
          if (--inNote === 0 && note) {
            const text = tidy(note.text.replace(/\n[\s\n]*/g, '\n'));
            if (text) addSection(notes, { text, page: null, heading: note.heading });
            note = undefined;
          }
        } else if (note && (name === 'text:h' || ODT_BLOCK.has(name))) add('\n');
        else if (heading && name === 'text:h') {
          headings.set(heading.level, tidy(heading.text.replace(/\s+/g, ' ')));
          heading = undefined;
        } else if (ODT_BLOCK.has(name)) flush();
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.write(xml);
  parser.end();
  flush();
  for (const n of notes) addSection(sections, n);
  return { sections, pages: null };
}
