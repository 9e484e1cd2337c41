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

/** Blank runs (spaces, tabs, no-break spaces) to one space, none around a line break or at the ends. */
export const tidy = (s: string) =>
  s
    .replace(/[ \t\f\v\u00a0]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .trim();
