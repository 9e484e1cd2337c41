/**
 * Documents to text sections, each with the page (PDF) and heading path (Markdown, HTML, Word, ODT)
 * it came from, by real parsers: pdf.js for PDF (parse-pdf.ts), htmlparser2 for HTML (parse-html.ts)
 * and for the XML of .docx and .odt (parse-office.ts, their zip by jszip), marked's lexer for
 * Markdown (so a `#` line inside a code block is not a heading). Runs in the parse worker (main.ts
 * in a worker thread), so a large PDF never holds the event loop that answers requests.
 */
import { Lexer, type Token, type Tokens } from 'marked';
import { type ParseBudget, syncWithin } from './budget.js';
import { Headings } from './headings.js';
import { MAX_HTML_DEPTH, parseHtml } from './parse-html.js';
import { DOCX_MEDIA_TYPE, ODT_MEDIA_TYPE, type OfficeKind, parseOffice } from './parse-office.js';
import { DEFAULT_MAX_PDF_DECODED_MB, PDF_BUDGET, parsePdf } from './parse-pdf.js';
import { addSection, type Parsed, ParseError, type Section, tidy } from './parse-result.js';
import { isZip } from './parse-zip.js';

// What callers import from here, though it lives in parse-result.ts, parse-html.ts and parse-pdf.ts.
export type { Parsed, Section } from './parse-result.js';
export { DEFAULT_MAX_PDF_DECODED_MB, MAX_HTML_DEPTH, ParseError, PDF_BUDGET, parseHtml, parsePdf };

export type DocumentKind = 'text' | 'markdown' | 'html' | 'pdf' | OfficeKind;

const MEDIA_TYPES: Record<string, DocumentKind> = {
  'text/plain': 'text',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'application/pdf': 'pdf',
  [DOCX_MEDIA_TYPE]: 'docx',
  [ODT_MEDIA_TYPE]: 'odt',
};

/** The kind for a Content-Type header (parameters such as charset ignored), or undefined. */
export function kindOf(contentType: string | undefined): DocumentKind | undefined {
  const base = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return Object.hasOwn(MEDIA_TYPES, base) ? MEDIA_TYPES[base] : undefined;
}

export const supportedMediaTypes = Object.keys(MEDIA_TYPES);

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8: a document in another encoding is refused, never silently garbled. */
export function decodeText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ParseError(400, 'the document is not valid UTF-8: convert it to UTF-8 first');
  }
}

/** Plain text: one section per paragraph (blank-line separated), read one at a time (MAX_SECTIONS). */
export function parseText(text: string): Parsed {
  const sections: Section[] = [];
  const breaks = /\r?\n\s*\r?\n/g;
  let from = 0;
  for (;;) {
    const m = breaks.exec(text);
    const body = tidy(text.slice(from, m ? m.index : text.length));
    if (body) addSection(sections, { text: body, page: null, heading: null });
    if (!m) break;
    from = m.index + m[0].length;
  }
  return { sections, pages: null };
}

const inlinePlain = (s: string) =>
  s
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[*_`~]+/g, '')
    .trim();

/**
 * Block quotes nested deeper than this are refused before marked's lexer runs: it recurses into each
 * level, re-reading the rest of the line, so 20,000 levels (40 KB) took ~4 s to overflow its stack.
 * Mail threads quoted as Markdown reach a few dozen levels.
 */
export const MAX_QUOTE_DEPTH = 100;

/** The deepest run of `>` markers (each after at most 3 spaces) at the start of any line. */
function quoteDepth(text: string): number {
  let max = 0;
  let depth = 0;
  let spaces = 0;
  let atMarkers = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      depth = 0;
      spaces = 0;
      atMarkers = true;
    } else if (!atMarkers) {
    } else if (c === 62 /* > */) {
      depth++;
      spaces = 0;
      if (depth > max) max = depth;
    } else if (c === 32 && spaces < 4) spaces++;
    else atMarkers = false;
  }
  return max;
}

/** Markdown: one section per top-level block, under the headings that precede it. */
export function parseMarkdown(text: string): Parsed {
  const depth = quoteDepth(text);
  if (depth > MAX_QUOTE_DEPTH)
    throw new ParseError(
      413,
      `the document is nested too deeply to parse (block quotes nested ${depth} deep (at most ${MAX_QUOTE_DEPTH}))`,
    );
  const headings = new Headings();
  const sections: Section[] = [];
  const tokens: Token[] = new Lexer({ gfm: true }).lex(text);
  for (const t of tokens) {
    if (t.type === 'heading') {
      const h = t as Tokens.Heading;
      headings.set(h.depth, inlinePlain(h.text));
      continue;
    }
    if (t.type === 'space' || t.type === 'hr' || t.type === 'def') continue;
    const body = tidy(t.type === 'code' ? (t as Tokens.Code).text : t.raw);
    if (body) addSection(sections, { text: body, page: null, heading: headings.path });
  }
  return { sections, pages: null };
}

/**
 * What the entries a .docx or .odt reads (its XML) may inflate to, at most: the parse worker's
 * decode cap (RAG_MAX_PDF_DECODED_MB, its share of memory) or this, whichever is smaller. The XML is
 * held whole as a string (up to twice its bytes) while htmlparser2 streams through it; pandoc's
 * .docx of 3 MB of READMEs holds 13.7 MiB, a Word document of a thousand pages a few MiB.
 */
export const MAX_OFFICE_INFLATED_MB = 64;

/**
 * The document's sections. With a `time` budget (budget.ts) a parse past it is its 413: a PDF's
 * from a timer, a .docx's or .odt's at each 16 KiB inflated and each step, the other kinds'
 * (synchronous) from node's vm watchdog. `kind` is the kind the content turned out to be (a .docx
 * sent as an .odt is read as the .docx it is).
 */
export async function parseDocument(
  kind: DocumentKind,
  bytes: Uint8Array,
  maxPages: number,
  maxDecodedMb = DEFAULT_MAX_PDF_DECODED_MB,
  time?: ParseBudget,
): Promise<Parsed & { kind?: DocumentKind }> {
  if (kind === 'pdf') return parsePdf(bytes, maxPages, maxDecodedMb, time);
  if (kind === 'docx' || kind === 'odt') {
    const deadline = time ? performance.now() + time.ms : Number.POSITIVE_INFINITY;
    const mb = Math.min(maxDecodedMb, MAX_OFFICE_INFLATED_MB);
    return parseOffice(bytes, {
      maxInflatedBytes: mb * 1024 * 1024,
      tooLarge: () =>
        new ParseError(
          413,
          `the document's XML inflates to more than ${mb} MiB (its zip entries, counted as they inflate; at most ${MAX_OFFICE_INFLATED_MB} MiB and RAG_MAX_PDF_DECODED_MB): a compressed document this large is refused`,
        ),
      checkTime: () => {
        if (time && performance.now() > deadline) throw time.late();
      },
      // The XML's parse is one synchronous stretch: node's vm watchdog ends it at what is left.
      within: (fn) =>
        time ? syncWithin({ ms: Math.floor(deadline - performance.now()), late: time.late }, fn) : fn(),
    });
  }
  if (isZip(bytes))
    throw new ParseError(
      400,
      `the document is a zip archive, not ${kind === 'text' ? 'plain text' : kind}: send a .docx as ${DOCX_MEDIA_TYPE} and an .odt as ${ODT_MEDIA_TYPE}`,
    );
  return time ? syncWithin(time, () => parseTextKind(kind, bytes)) : parseTextKind(kind, bytes);
}

function parseTextKind(kind: 'text' | 'markdown' | 'html', bytes: Uint8Array): Parsed {
  const text = decodeText(bytes);
  try {
    if (kind === 'markdown') return parseMarkdown(text);
    if (kind === 'html') return parseHtml(text);
    return parseText(text);
  } catch (err) {
    // marked's lexer recurses into each block quote and list: 20,000 nested '> ' (40 KB) overflow
    // the worker's stack. The document's doing, so the client's 4xx, not an internal error.
    if (err instanceof RangeError)
      throw new ParseError(413, `the document is nested too deeply to parse (${err.message})`);
    throw err;
  }
}
