/**
 * `match.text` on a field with a `text` payload index, as Qdrant answers it: the query and each
 * string value are cut into tokens by the index's tokenizer (`word`, the default: runs of letters
 * and digits; `whitespace`; `prefix`: a value's tokens are their prefixes, a query's its words cut
 * to max_token_len), lowercased unless `lowercase: false`, tokens shorter than `min_token_len` or
 * longer than `max_token_len` dropped; a value matches when every query token is among its tokens
 * (Qdrant's lib/segment/src/index/field_index/full_text_index/tokenizers.rs). Without a text index
 * `match.text` is a substring, as in Qdrant. Before, the index changed nothing here: `hello` did
 * not find "Hello world" (Qdrant's index lowercases by default) and `wor` found "world".
 * Parameters whose answers are not served here (the multilingual tokenizer, stemmers, stopwords,
 * ASCII folding) are a 400 when the index is made.
 */
import { HttpError } from '../../kit/server/index.js';
import type { FilterContext } from './filter.js';

const bad = (message: string) => new HttpError(400, `Wrong input: ${message}`);

export interface TextParams {
  tokenizer: 'word' | 'whitespace' | 'prefix';
  lowercase: boolean;
  min?: number;
  max?: number;
}

/** Fields of a text index schema that change no answer here (storage and phrase-index hints). */
const HARMLESS = ['type', 'on_disk', 'phrase_matching'];

const count = (v: unknown, name: string): number | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 1_000)
    throw bad(`text index ${name} must be a whole number from 0 to 1000`);
  return v;
};

/**
 * A text index's parameters from its schema ("text" or {"type": "text", ...}); undefined for other
 * schemas. A parameter not served here is a 400 naming it.
 */
export function textParams(schema: unknown): TextParams | undefined {
  if (schema === 'text') return { tokenizer: 'word', lowercase: true };
  if (typeof schema !== 'object' || schema === null || (schema as { type?: unknown }).type !== 'text') return;
  const s = schema as Record<string, unknown>;
  for (const [k, v] of Object.entries(s)) {
    if (v === undefined || v === null || HARMLESS.includes(k)) continue;
    if (['tokenizer', 'lowercase', 'min_token_len', 'max_token_len'].includes(k)) continue;
    if (k === 'ascii_folding' && v === false) continue;
    throw bad(
      `text index "${k}" is not supported by this server (supported: tokenizer word, whitespace or prefix, lowercase, min_token_len, max_token_len, on_disk)`,
    );
  }
  const tokenizer = s.tokenizer ?? 'word';
  if (tokenizer !== 'word' && tokenizer !== 'whitespace' && tokenizer !== 'prefix')
    throw bad(
      `text index tokenizer ${JSON.stringify(tokenizer)} is not supported (word, whitespace or prefix)`,
    );
  if (s.lowercase !== undefined && s.lowercase !== null && typeof s.lowercase !== 'boolean')
    throw bad('text index lowercase must be true or false');
  return {
    tokenizer,
    lowercase: s.lowercase !== false,
    min: count(s.min_token_len, 'min_token_len'),
    max: count(s.max_token_len, 'max_token_len'),
  };
}

const WORDS = /[^\p{Alphabetic}\p{N}]+/u;
const SPACES = /\s+/u;

/** A text's words, lowercased first (then cut and filtered), as Qdrant's tokenizers take them. */
function words(p: TextParams, text: string): string[] {
  const out: string[] = [];
  for (const w of text.split(p.tokenizer === 'whitespace' ? SPACES : WORDS))
    if (w !== '') out.push(p.lowercase ? w.toLowerCase() : w);
  return out;
}

function chars(t: string): number {
  let n = 0;
  for (const _ of t) n++;
  return n;
}

/** The first `max` characters of a word. */
function cut(w: string, max: number): string {
  let at = 0;
  let n = 0;
  for (const c of w) {
    if (n++ === max) break;
    at += c.length;
  }
  return w.slice(0, at);
}

/** A token kept (Qdrant's doc_token_filter): not shorter than min bytes, not longer than max characters. */
const kept = (p: TextParams, t: string): boolean =>
  t !== '' &&
  !(p.min !== undefined && Buffer.byteLength(t) < p.min) &&
  !(p.max !== undefined && chars(t) > p.max);

/** The tokens of a query, each once (prefix: each word cut to max_token_len characters). */
export function queryTokens(p: TextParams, text: string): string[] {
  const out = new Set<string>();
  for (const w of words(p, text)) {
    const t = p.tokenizer === 'prefix' && p.max !== undefined ? cut(w, p.max) : w;
    if (kept(p, t)) out.add(t);
  }
  return [...out];
}

/** The first index of `sorted` whose word is not before `q` (all the words `q` begins follow it). */
function lowerBound(sorted: string[], q: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < q) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Whether a stored value has every token of the query (none: no match). A `prefix` index's tokens
 * of a word are its prefixes of min_token_len (1) to max_token_len characters and the word itself
 * when it is not longer than max_token_len (Qdrant's PrefixTokenizer); they are not built here: a
 * query token is one of them when it is a word of the value, or begins one and is not shorter than
 * min_token_len (it was cut to max_token_len and filtered as the doc's tokens are). Building them
 * was n²/2 characters for a word of n: one stored word of 300,000 letters ran the service out of
 * heap at the first filter over it (test/security/vectors-text-prefix-bounds.test.ts).
 */
export function textMatcher(p: TextParams, query: string): (v: unknown) => boolean {
  const want = queryTokens(p, query);
  if (want.length === 0) return () => false;
  if (p.tokenizer !== 'prefix')
    return (v) => {
      if (typeof v !== 'string') return false;
      const have = new Set(words(p, v).filter((t) => kept(p, t)));
      return want.every((t) => have.has(t));
    };
  const from = p.min ?? 1;
  if (from > (p.max ?? Number.POSITIVE_INFINITY)) return () => false; // no token at all
  const wholeOnly = want.map((t) => chars(t) < from);
  return (v) => {
    if (typeof v !== 'string') return false;
    // Sorted, the words a token begins come first at or after it.
    const sorted = [...new Set(words(p, v))].sort();
    return want.every((q, i) => {
      const w = sorted[lowerBound(sorted, q)];
      return w !== undefined && (w === q || (!wholeOnly[i] && w.startsWith(q)));
    });
  };
}

/** A collection's text indexes, for its filters (filter.ts FilterContext). */
export function filterContext(c: { name: string; payloadSchema: Record<string, unknown> }): FilterContext {
  return {
    text: (key) => {
      if (!Object.hasOwn(c.payloadSchema, key)) return undefined;
      try {
        return textParams(c.payloadSchema[key]);
      } catch (err) {
        // An index made before 88d00ad4, whose parameters were taken then and are refused now:
        // its queries would answer otherwise than Qdrant's; said with the way back.
        const why = (err as Error).message.replace(/^Wrong input: /, '');
        throw bad(
          `the text index of ${JSON.stringify(key)} was made before its parameters were checked: ${why}; drop it (DELETE /collections/${c.name}/index/${key}) and make it again with parameters this server serves (without one, match.text is a substring)`,
        );
      }
    },
  };
}
