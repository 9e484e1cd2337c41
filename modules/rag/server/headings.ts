/**
 * The heading path above a document's text (parse.ts: Markdown and HTML), bounded in length.
 *
 * A heading's characters kept, and the whole path's. Every chunk under a heading carries its path
 * (the payload in vectors, "section: …" in the chat prompt), and the parse worker's answer is a
 * structured clone, which copies a string once per chunk holding it: a 1 MiB heading above 400
 * chunks was 420 MB on its way to rag's main thread. Titles are far shorter than this.
 */
import { ParseError } from './parse-result.js';

export const MAX_HEADING_CHARS = 200;
export const MAX_HEADING_PATH = 6 * (MAX_HEADING_CHARS + 3);
/**
 * The characters of the distinct heading paths one document may make, each counted once (a path
 * that comes back after another heading is the string made the first time). Sections keep their
 * path, so a path made anew at every heading multiplied: 100,000 paragraphs after alternating
 * 200-character deepest headings (a 135 KB .docx) were ~120 MB of paths in the small worker's heap.
 * MAX_SECTIONS bounds the sections, not these bytes. 16 Mi characters: ~13,800 paths of the longest
 * (six headings of 200 characters), ~155,000 of 60 characters (each counted with PATH_KEPT_COST).
 */
export const MAX_HEADING_PATHS_CHARS = 16 * 1024 * 1024;
/**
 * What keeping one more distinct path costs beyond its characters, counted against the bound as
 * characters: its map entry and its string's header (~48 bytes in V8). Counted by characters alone,
 * 3.7 million paths of a few characters each (`<h1>a<h1>b…`, no text under them) were ~200 MB of
 * the parse worker's heap within the 16 Mi (REVIEW13); a path no section holds stays in the map.
 */
export const PATH_KEPT_COST = 48;

/** Cut at a character's end: half a surrogate pair is refused by the modules' JSON checks. */
function cut(s: string): string {
  if (s.length <= MAX_HEADING_CHARS) return s;
  let n = MAX_HEADING_CHARS - 1;
  const last = s.charCodeAt(n - 1);
  if (last >= 0xd800 && last <= 0xdbff) n--;
  return `${s.slice(0, n)}…`;
}

/** Keeps a heading path: a heading of level n replaces levels n and below. */
export class Headings {
  private stack: string[] = [];
  /** The path, made when a heading changes it: the sections under it share the one string. */
  private joined: string | null = null;
  /**
   * Each distinct path made, kept as the one string its sections hold: a path met again after
   * another heading is that string again, not a copy, and is not counted again.
   */
  private paths = new Map<string, string>();
  /** The characters of the distinct paths held. */
  private made = 0;
  /** Those characters and PATH_KEPT_COST for each path: what the bound is checked against. */
  private cost = 0;
  set(level: number, text: string): void {
    this.stack = this.stack.slice(0, level - 1);
    while (this.stack.length < level - 1) this.stack.push('');
    this.stack[level - 1] = cut(text);
    const next = this.stack.filter(Boolean).join(' > ') || null;
    if (next === this.joined) return; // the same path again: keep the string its sections hold
    if (next === null) {
      this.joined = null;
      return;
    }
    const held = this.paths.get(next);
    if (held !== undefined) {
      this.joined = held;
      return;
    }
    this.made += next.length;
    this.cost += next.length + PATH_KEPT_COST;
    if (this.cost > MAX_HEADING_PATHS_CHARS)
      throw new ParseError(
        413,
        `the document's headings are too many or too long (their paths, with what keeping each costs, make more than ${MAX_HEADING_PATHS_CHARS} characters): split the document`,
      );
    this.paths.set(next, next);
    this.joined = next;
  }
  get path(): string | null {
    return this.joined;
  }
  /** The characters of the distinct paths this document's sections hold. */
  get heldChars(): number {
    return this.made;
  }
}
