/**
 * Documents to text sections, each with the page (PDF) and heading path (Markdown, HTML) it came
 * from, by real parsers: pdf.js for PDF, htmlparser2 for HTML, marked's lexer for Markdown (so a
 * `#` line inside a code block is not a heading). Runs in the parse worker (./worker.ts), so a
 * large PDF never holds the event loop that answers requests.
 */
import { Parser } from 'htmlparser2';
import { Lexer, type Token, type Tokens } from 'marked';
import { type ParseBudget, syncWithin } from './budget.js';
import { Headings } from './headings.js';

export type DocumentKind = 'text' | 'markdown' | 'html' | 'pdf';

export interface Section {
  text: string;
  /** 1-based page of a PDF; null for other kinds. */
  page: number | null;
  /** The heading path above the text ("Install > On Debian"), or null. */
  heading: string | null;
}

export interface Parsed {
  sections: Section[];
  /** Pages of a PDF; null for other kinds. */
  pages: number | null;
}

/** A parse refusal with the HTTP status it maps to (413 too many pages, 400 unreadable, …). */
export class ParseError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ParseError';
    this.status = status;
  }
}

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

const tidy = (s: string) =>
  s
    .replace(/[ \t\f\v\u00a0]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .trim();

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

interface PdfTextItem {
  str?: string;
  hasEOL?: boolean;
}

type PdfJs = typeof import('pdfjs-dist');
let pdfjs: PdfJs | undefined;
/**
 * pdf.js with its "worker" run in this thread: the worker module is imported here and offered as
 * globalThis.pdfjsWorker, which pdf.js uses instead of loading a file by path (that path would not
 * exist in the bundle). This thread is already the kit's parse worker, off the event loop.
 */
async function loadPdfjs(): Promise<PdfJs> {
  if (!pdfjs) {
    const g = globalThis as { pdfjsWorker?: unknown };
    // The legacy build: the modern one calls Uint8Array.prototype.toHex and other ES2025+
    // methods that Node 24 lacks; the legacy build brings polyfills for them.
    // At load pdf.js looks for a canvas package to draw with and warns that "rendering may be
    // broken" without it; text extraction never draws, so those lines would only mislead an admin
    // reading the log. Other warnings pass.
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (!/canvas|Cannot polyfill/.test(String(args[0]))) warn(...args);
    };
    try {
      // @ts-expect-error the worker module ships without type declarations
      g.pdfjsWorker ??= await import('pdfjs-dist/legacy/build/pdf.worker.mjs');
      pdfjs = (await import('pdfjs-dist/legacy/build/pdf.mjs')) as PdfJs;
    } finally {
      console.warn = warn;
    }
  }
  return pdfjs;
}

/**
 * What the streams of one PDF may decode to, in the buffers pdf.js allocates for them (a buffer
 * doubles as it fills, so about twice the decoded bytes), all streams together. The rag bundle's
 * pdf.js charges each new buffer to it (../package.ts, pdfDecodeBudget); over it the buffer is not
 * allocated and the document is a 413. Set per PDF on globalThis: the parse worker reads one
 * document at a time.
 */
export const PDF_BUDGET = '__blueprintPdfBudget';
export const DEFAULT_MAX_PDF_DECODED_MB = 256;

class DecodeBudget {
  over = false;
  /** Past the document's parse time (budget.ts): tick() throws from then on. */
  late = false;
  private ticks = 0;
  constructor(
    private left: number,
    private readonly deadline = Number.POSITIVE_INFINITY,
  ) {}
  take(size: number): void {
    this.left -= size;
    if (this.left >= 0) return;
    this.over = true;
    throw new Error('the decode budget is spent');
  }
  /**
   * Called by pdf.js before each operator it reads (its TimeSlotManager.check, patched by
   * ../package.ts): the clock is read every 1,024. A timer cannot end a parse: pdf.js draws a form
   * XObject in promise callbacks alone, and a page of forms drawing forms ran for minutes without
   * a timer's turn. Once late, every operator throws: each form and page pdf.js is in ends (their
   * errors swallowed, stopAtErrors being false), and parsePdf sees `late`.
   */
  tick(): void {
    if (!this.late && (++this.ticks & 1023) === 0) this.lateNow();
    if (this.late) throw new Error('the parse time is spent');
  }
  lateNow(): boolean {
    if (performance.now() > this.deadline) this.late = true;
    return this.late;
  }
}

/** PDF: the text of each page, in pdf.js's reading order, one section per page. */
export async function parsePdf(
  bytes: Uint8Array,
  maxPages: number,
  maxDecodedMb = DEFAULT_MAX_PDF_DECODED_MB,
  time?: ParseBudget,
): Promise<Parsed> {
  const deadline = time && performance.now() + time.ms; // pdf.js's load is in the measured base
  const lib = await loadPdfjs();
  const budget = new DecodeBudget(maxDecodedMb * 1024 * 1024, deadline);
  (globalThis as Record<string, unknown>)[PDF_BUDGET] = budget;
  // pdf.js goes on past errors (stopAtErrors: false), so a refused buffer or a late operator may
  // surface as a broken or partial document: the budgets are looked at after each step.
  const spent = () => {
    if (time && budget.lateNow()) throw time.late();
    if (budget.over)
      throw new ParseError(
        413,
        `the PDF's streams decode to more than ${maxDecodedMb} MiB (RAG_MAX_PDF_DECODED_MB): a compressed stream this large is refused`,
      );
  };
  const task = lib.getDocument({
    data: new Uint8Array(bytes), // pdf.js takes ownership of (detaches) the buffer it is given
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: false,
    verbosity: 0,
  });
  try {
    const doc = await task.promise.catch((err: Error) => {
      spent();
      throw new ParseError(400, `not a readable PDF: ${err.message}`);
    });
    spent();
    if (doc.numPages > maxPages)
      throw new ParseError(413, `the PDF has ${doc.numPages} pages, more than the limit of ${maxPages}`);
    const sections: Section[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent().catch((err: Error) => {
        spent();
        throw err;
      });
      spent();
      let text = '';
      for (const item of content.items as PdfTextItem[]) {
        text += item.str ?? '';
        if (item.hasEOL) text += '\n';
      }
      page.cleanup();
      const t = tidy(text);
      if (t) sections.push({ text: t, page: n, heading: null });
    }
    spent();
    return { sections, pages: doc.numPages };
  } catch (err) {
    spent(); // a step failing after a late operator or a refused buffer: those are the cause
    throw err;
  } finally {
    await task.destroy();
    delete (globalThis as Record<string, unknown>)[PDF_BUDGET];
  }
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
