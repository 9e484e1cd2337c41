/**
 * Documents to text sections, each with the page (PDF) and heading path (Markdown, HTML) it came
 * from, by real parsers: pdf.js for PDF (parse-pdf.ts), htmlparser2 for HTML, marked's lexer for
 * Markdown (so a `#` line inside a code block is not a heading). Runs in the parse worker (main.ts
 * in a worker thread), so a large PDF never holds the event loop that answers requests.
 */
import { Parser } from 'htmlparser2';
import { Lexer, type Token, type Tokens } from 'marked';
import { type ParseBudget, syncWithin } from './budget.js';
import { Headings } from './headings.js';
import { DEFAULT_MAX_PDF_DECODED_MB, PDF_BUDGET, parsePdf } from './parse-pdf.js';
import { type Parsed, ParseError, type Section, tidy } from './parse-result.js';

// What callers import from here, though it lives in parse-result.ts and parse-pdf.ts.
export type { Parsed, Section } from './parse-result.js';
export { DEFAULT_MAX_PDF_DECODED_MB, ParseError, PDF_BUDGET, parsePdf };

export type DocumentKind = 'text' | 'markdown' | 'html' | 'pdf';

const MEDIA_TYPES: Record<string, DocumentKind> = {
  'text/plain': 'text',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'application/pdf': 'pdf',
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

/** Plain text: one section per paragraph (blank-line separated). */
export function parseText(text: string): Parsed {
  const sections = text
    .split(/\r?\n\s*\r?\n/)
    .map(tidy)
    .filter(Boolean)
    .map((t) => ({ text: t, page: null, heading: null }));
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
    if (body) sections.push({ text: body, page: null, heading: headings.path });
  }
  return { sections, pages: null };
}

const SKIP = new Set(['script', 'style', 'noscript', 'template', 'head', 'svg', 'math', 'iframe', 'object']);
const BLOCK = new Set([
  'p',
  'div',
  'section',
  'article',
  'main',
  'aside',
  'header',
  'footer',
  'nav',
  'li',
  'ul',
  'ol',
  'dl',
  'dt',
  'dd',
  'table',
  'tr',
  'td',
  'th',
  'thead',
  'tbody',
  'blockquote',
  'pre',
  'br',
  'hr',
  'figure',
  'figcaption',
  'form',
  'fieldset',
  'address',
  'details',
  'summary',
  'body',
  'html',
]);

/**
 * Elements open at once beyond this are refused. htmlparser2 looks for each close tag down its whole
 * stack of open elements, so '<div>' × N then '</span>' × N is quadratic: 40,000 of each (480 KB)
 * took 11.7 s, and 4 MiB would hold the parse worker to its budget. 3,186 pages of /usr/share/doc
 * and Rust's docs nest at most 25 deep; htmlparser2 nests deeper than a browser where HTML5 lets
 * end tags out (`<li><p>a<li><p>b` nests), hence twice Chromium's 512. At this depth unmatched
 * closes cost ~1 s a MiB (4 MiB at 512: 2.2 s), linear in the upload.
 */
export const MAX_HTML_DEPTH = 1024;

/** HTML: visible text by block, headings (h1–h6) as the path above it; scripts and styles left out. */
export function parseHtml(html: string): Parsed {
  const headings = new Headings();
  const sections: Section[] = [];
  // Elements open now: htmlparser2 reports a close (onclosetag) for every element it pops, implied
  // closes and void elements included, and none for a close tag that matches nothing, so this is
  // the depth of its stack.
  let depth = 0;
  let skipping = 0;
  let pre = 0;
  let buf = '';
  let heading: { level: number; text: string } | undefined;
  const flush = () => {
    const text = pre > 0 ? buf.trim() : tidy(buf.replace(/\s+/g, ' '));
    buf = '';
    if (text) sections.push({ text, page: null, heading: headings.path });
  };
  const parser = new Parser(
    {
      onopentag(name) {
        if (++depth > MAX_HTML_DEPTH)
          throw new ParseError(
            413,
            `the document is nested too deeply to parse (more than ${MAX_HTML_DEPTH} elements open at once): close the elements it opens (<p> and <li> too)`,
          );
        if (SKIP.has(name)) skipping++;
        if (skipping) return;
        const h = /^h([1-6])$/.exec(name);
        if (h) {
          flush();
          heading = { level: Number(h[1]), text: '' };
        } else if (BLOCK.has(name)) {
          if (name === 'pre') pre++;
          flush();
        }
      },
      ontext(text) {
        if (skipping) return;
        if (heading) heading.text += text;
        else buf += text;
      },
      onclosetag(name) {
        depth--;
        if (SKIP.has(name)) {
          skipping = Math.max(0, skipping - 1);
          return;
        }
        if (skipping) return;
        if (heading && /^h[1-6]$/.test(name)) {
          headings.set(heading.level, tidy(heading.text.replace(/\s+/g, ' ')));
          heading = undefined;
        } else if (BLOCK.has(name)) {
          flush();
          if (name === 'pre') pre = Math.max(0, pre - 1);
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  flush();
  return { sections, pages: null };
}

/**
 * The document's sections. With a `time` budget (budget.ts) a parse past it is its 413: a PDF's
 * from a timer, the other kinds' (synchronous) from node's vm watchdog.
 */
export async function parseDocument(
  kind: DocumentKind,
  bytes: Uint8Array,
  maxPages: number,
  maxDecodedMb?: number,
  time?: ParseBudget,
): Promise<Parsed> {
  if (kind === 'pdf') return parsePdf(bytes, maxPages, maxDecodedMb, time);
  return time ? syncWithin(time, () => parseTextKind(kind, bytes)) : parseTextKind(kind, bytes);
}

function parseTextKind(kind: Exclude<DocumentKind, 'pdf'>, bytes: Uint8Array): Parsed {
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
