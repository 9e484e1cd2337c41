/**
 * PDF to text sections, one a page, by pdf.js, under two budgets: the bytes its streams may decode
 * to (PDF_BUDGET, charged by the patched pdf.js of the rag bundle, ../package.ts) and the document's
 * parse time (budget.ts). Apart from parse.ts because pdf.js's loading and its budgets are a job of
 * their own; parse.ts's parseDocument calls parsePdf and re-exports what others import from here.
 */
import type { ParseBudget } from './budget.js';
import { addSection, type Parsed, ParseError, type Section, tidy } from './parse-result.js';

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
  // Every PDF begins with %PDF- (readers allow some bytes before it, as pdf.js does: its first KiB).
  const headed = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024)).includes(
    '%PDF-',
  );
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
      throw new ParseError(
        400,
        headed
          ? `not a readable PDF: ${err.message}`
          : 'not a PDF: it does not begin with %PDF- as every PDF does (another kind of file with a .pdf name?)',
      );
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
      if (t) addSection(sections, { text: t, page: n, heading: null });
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
