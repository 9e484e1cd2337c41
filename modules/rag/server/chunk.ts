/**
 * Sections to chunks that fit the embedding model: packed by sentence up to a token budget, with
 * an overlap of whole sentences between neighbours, never across a page or a heading (so each
 * chunk has one page and one heading path).
 *
 * Tokens are estimated here, on the high side (a run of letters counts one token per 3 letters,
 * digits one per 2, every CJK character and punctuation mark one), because the embeddings module
 * offers no tokenizer endpoint. The estimate is then checked by the model's own tokenizer:
 * ingest embeds through `/embed` with `"truncate": false`, which refuses (413) an input over the
 * model's limit, and such a chunk is split in two (splitChunk) and tried again. So no chunk is ever
 * silently truncated by the model, whatever the language.
 */
import type { Section } from './parse.js';
import { ParseError } from './parse-result.js';

export interface Chunk {
  text: string;
  page: number | null;
  heading: string | null;
}

export interface ChunkOptions {
  /** Most (estimated) tokens in a chunk. */
  tokens: number;
  /** Tokens of trailing sentences repeated at the start of the next chunk. */
  overlap: number;
  /**
   * RAG_MAX_CHUNKS: past it the document is refused (413) as soon as the chunk past it is made, in
   * the parse worker, so the main thread is never sent more (700,000 chunks of a 234 KB .docx were
   * a 20.7 MiB message and +64 MiB there before rag.ts refused them).
   */
  maxChunks?: number;
}

const PIECE =
  /\p{Script=Han}|\p{Script=Hiragana}|\p{Script=Katakana}|\p{Script=Hangul}|\p{L}+|\p{N}+|[^\s\p{L}\p{N}]/gu;

/** A high estimate of the model's token count for `text` (see the top of the file). */
export function estimateTokens(text: string): number {
  let n = 0;
  for (const m of text.matchAll(PIECE)) {
    const s = m[0];
    if (/^\p{L}/u.test(s)) n += s.length === 1 ? 1 : Math.ceil(s.length / 3);
    else if (/^\p{N}/u.test(s)) n += Math.ceil(s.length / 2);
    else n += 1;
  }
  return n;
}

interface Unit {
  text: string;
  tokens: number;
  /** What joins it to the unit before: a paragraph break between sections, else a space. */
  sep: string;
}

/** Splits text that is over budget by words, and a word over budget by characters. */
function fitUnits(text: string, budget: number): string[] {
  if (estimateTokens(text) <= budget) return [text];
  const words = text.split(/\s+/).filter(Boolean);
  if (words.length === 1) {
    // One enormous "word" (a base64 blob, CJK without spaces): character slices.
    const out: string[] = [];
    let rest = text;
    while (rest.length > 0) {
      let n = Math.min(rest.length, budget);
      while (n > 1 && estimateTokens(rest.slice(0, n)) > budget) n = Math.floor(n / 2);
      out.push(rest.slice(0, n));
      rest = rest.slice(n);
    }
    return out;
  }
  const out: string[] = [];
  let cur: string[] = [];
  let curTokens = 0;
  for (const w of words) {
    const t = estimateTokens(w);
    if (curTokens + t > budget && cur.length > 0) {
      out.push(cur.join(' '));
      cur = [];
      curTokens = 0;
    }
    if (t > budget) out.push(...fitUnits(w, budget));
    else {
      cur.push(w);
      curTokens += t;
    }
  }
  if (cur.length > 0) out.push(cur.join(' '));
  return out;
}

/** Sentences and lines of a section, each within the budget. */
function unitsOf(text: string, budget: number): Unit[] {
  const pieces = text.split(/(?<=[.!?;:。！？])\s+|\n+/).filter((p) => p.trim());
  const units: Unit[] = [];
  pieces.forEach((p, i) => {
    for (const [j, t] of fitUnits(p.trim(), budget).entries())
      units.push({ text: t, tokens: estimateTokens(t), sep: i === 0 && j === 0 ? '\n\n' : ' ' });
  });
  return units;
}

const joinUnits = (units: Unit[]) => units.map((u, i) => (i === 0 ? u.text : u.sep + u.text)).join('');

export function chunkSections(sections: Section[], opts: ChunkOptions): Chunk[] {
  if (!(opts.tokens >= 8)) throw new Error(`chunk size ${opts.tokens} tokens is too small`);
  const overlap = Math.max(0, Math.min(opts.overlap, Math.floor(opts.tokens / 2)));
  const chunks: Chunk[] = [];
  let group: { page: number | null; heading: string | null } | undefined;
  let cur: Unit[] = [];
  let curTokens = 0;
  const emit = (keepOverlap: boolean) => {
    if (cur.length === 0 || !group) return;
    if (opts.maxChunks !== undefined && chunks.length >= opts.maxChunks)
      throw new ParseError(
        413,
        `the document makes more than ${opts.maxChunks} chunks, the limit (RAG_MAX_CHUNKS): split it`,
      );
    chunks.push({ text: joinUnits(cur), page: group.page, heading: group.heading });
    const kept: Unit[] = [];
    let t = 0;
    if (keepOverlap)
      for (let i = cur.length - 1; i > 0 && t + cur[i]!.tokens <= overlap; i--) {
        kept.unshift(cur[i]!);
        t += cur[i]!.tokens;
      }
    cur = kept;
    curTokens = t;
  };
  for (const s of sections) {
    if (!group || group.page !== s.page || group.heading !== s.heading) {
      emit(false);
      cur = [];
      curTokens = 0;
      group = { page: s.page, heading: s.heading };
    }
    for (const u of unitsOf(s.text, opts.tokens)) {
      if (curTokens + u.tokens > opts.tokens && cur.length > 0) {
        emit(true);
        // The overlap must leave room for the new unit; drop its oldest sentences until it does.
        while (cur.length > 0 && curTokens + u.tokens > opts.tokens) curTokens -= cur.shift()!.tokens;
      }
      cur.push(cur.length === 0 ? { ...u, sep: '' } : u);
      curTokens += u.tokens;
    }
  }
  emit(false);
  return chunks;
}

/**
 * A chunk the model's tokenizer found too long, in two halves at the word boundary nearest its
 * middle (or at the middle character when it has no spaces). Undefined when it cannot be split.
 */
export function splitChunk(c: Chunk): [Chunk, Chunk] | undefined {
  const t = c.text;
  if (t.length < 2) return undefined;
  const mid = Math.floor(t.length / 2);
  const after = t.indexOf(' ', mid);
  const before = t.lastIndexOf(' ', mid);
  const cut =
    after < 0 && before < 0
      ? mid
      : after < 0
        ? before
        : before < 0
          ? after
          : mid - before <= after - mid
            ? before
            : after;
  const a = t.slice(0, cut).trim();
  const b = t.slice(cut).trim();
  if (!a || !b) return undefined;
  return [
    { ...c, text: a },
    { ...c, text: b },
  ];
}
