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

/** A token kept (Qdrant's doc_token_filter): not shorter than min bytes, not longer than max characters. */
function filtered(p: TextParams, tokens: string[]): string[] {
  const out: string[] = [];
  for (const t of tokens) {
    if (t === '') continue;
    if (p.min !== undefined && Buffer.byteLength(t) < p.min) continue;
    if (p.max !== undefined && [...t].length > p.max) continue;
    out.push(p.lowercase ? t.toLowerCase() : t);
  }
  return out;
}

/** Prefixes of a word from n = from to to characters (the whole word once it is shorter). */
function prefixes(word: string, from: number, to: number): string[] {
  const chars = [...word];
  const out: string[] = [];
  for (let n = from; n <= to; n++) {
    if (n >= chars.length) {
      out.push(word);
      break;
    }
    out.push(chars.slice(0, n).join(''));
  }
  return out;
}

function split(p: TextParams, text: string): string[] {
  return text.split(p.tokenizer === 'whitespace' ? SPACES : WORDS);
}

/** The tokens of a stored value. */
export function docTokens(p: TextParams, text: string): Set<string> {
  const words = split(p, text);
  if (p.tokenizer !== 'prefix') return new Set(filtered(p, words));
  const max = p.max ?? Number.MAX_SAFE_INTEGER;
  return new Set(
    filtered(
      p,
      words.filter((w) => w !== '').flatMap((w) => prefixes(w, p.min ?? 1, max)),
    ),
  );
}

/** The tokens of a query (prefix: each word cut to max_token_len characters). */
export function queryTokens(p: TextParams, text: string): string[] {
  const words = split(p, text);
  if (p.tokenizer !== 'prefix' || p.max === undefined) return filtered(p, words);
  return filtered(
    p,
    words.map((w) => [...w].slice(0, p.max).join('')),
  );
}

/** Whether a stored value has every token of the query (none: no match). */
export function textMatcher(p: TextParams, query: string): (v: unknown) => boolean {
  const want = queryTokens(p, query);
  return (v) => {
    if (typeof v !== 'string' || want.length === 0) return false;
    const have = docTokens(p, v);
    return want.every((t) => have.has(t));
  };
}

/** A collection's text indexes, for its filters (filter.ts FilterContext). */
export function filterContext(c: { payloadSchema: Record<string, unknown> }): FilterContext {
  return {
    text: (key) => (Object.hasOwn(c.payloadSchema, key) ? textParams(c.payloadSchema[key]) : undefined),
  };
}
