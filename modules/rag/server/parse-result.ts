/**
 * What every document parser produces (sections with their page and heading path), the refusal they
 * share (ParseError, with its HTTP status) and the whitespace tidying they all apply. A leaf of its
 * own so that parse.ts and parse-pdf.ts both import it without importing each other.
 */

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

/**
 * The most sections (paragraphs, blocks, a PDF page's text) one document may make. Compression made
 * them cheap: an 80 KB .docx held 1.4 million one-letter paragraphs (30.7 MiB of XML), ~72 bytes of
 * heap each, which ran the small parse worker's 96 MiB out. 250,000 is ~18 MiB; a Word document of
 * a thousand pages has a few tens of thousands.
 */
export const MAX_SECTIONS = 250_000;

/**
 * Adds a section to a parser's list, refusing the document (413) past MAX_SECTIONS: every parser
 * builds its result through this, so none holds more than the bound.
 */
export function addSection(sections: Section[], section: Section): void {
  if (sections.length >= MAX_SECTIONS)
    throw new ParseError(
      413,
      `the document has more than ${MAX_SECTIONS} paragraphs (sections of text): split it`,
    );
  sections.push(section);
}

/** Blank runs (spaces, tabs, no-break spaces) to one space, none around a line break or at the ends. */
export const tidy = (s: string) =>
  s
    .replace(/[ \t\f\v\u00a0]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .trim();
