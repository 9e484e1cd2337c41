/**
 * The heading path above a document's text (parse.ts: Markdown and HTML), bounded in length.
 *
 * A heading's characters kept, and the whole path's. Every chunk under a heading carries its path
 * (the payload in vectors, "section: …" in the chat prompt), and the parse worker's answer is a
 * structured clone, which copies a string once per chunk holding it: a 1 MiB heading above 400
 * chunks was 420 MB on its way to rag's main thread. Titles are far shorter than this.
 */
export const MAX_HEADING_CHARS = 200;
export const MAX_HEADING_PATH = 6 * (MAX_HEADING_CHARS + 3);

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
  /** The path, made once per heading: the sections under it share the one string. */
  private joined: string | null = null;
  set(level: number, text: string): void {
    this.stack = this.stack.slice(0, level - 1);
    while (this.stack.length < level - 1) this.stack.push('');
    this.stack[level - 1] = cut(text);
    this.joined = this.stack.filter(Boolean).join(' > ') || null;
  }
  get path(): string | null {
    return this.joined;
  }
}
