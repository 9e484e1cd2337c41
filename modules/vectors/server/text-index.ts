/**
 * `match.text` and `match.phrase` on a field with a `text` payload index, as Qdrant answers them
 * (lib/segment/src/index/field_index/full_text_index/tokenizers/: mod.rs, tokens_processor.rs):
 * the query and each string value are cut into words by the index's tokenizer (`word`, the
 * default: runs of letters and digits; `whitespace`; `prefix`), and each word becomes a token as
 * Qdrant's TokensProcessor makes one: ASCII-folded (`ascii_folding`), lowercased unless `lowercase:
 * false`, dropped when a stop word, stemmed (`stemmer`), dropped when shorter than `min_token_len`
 * or longer than `max_token_len` characters. A value matches `text` when it has every query token,
 * `phrase` when the phrase's tokens stand in it in order, one after another (an index without
 * `phrase_matching` keeps no positions: no match, as there). Without a text index `match.text` and
 * `match.phrase` are a substring, as in Qdrant. The parameters: text-params.ts.
 */
import { HttpError } from '../../kit/server/index.js';
import { FOLDING } from './ascii-folding-data.js';
import { EVERY } from './deadline.js';
import type { FilterContext } from './filter.js';
import type { Work } from './slices.js';
import { type TextParams, textParams } from './text-params.js';

export { type TextParams, textParams };

const bad = (message: string) => new HttpError(400, `Wrong input: ${message}`);

const WORDS = /[^\p{Alphabetic}\p{N}]+/u;
/** Unicode White_Space, as Rust's split_whitespace (JavaScript's \s has U+FEFF and lacks U+0085). */
const SPACES = /\p{White_Space}+/u;

/** Qdrant's fold_to_ascii: each character in its table becomes its ASCII text. */
function fold(w: string): string {
  let ascii = true;
  for (let i = 0; i < w.length && ascii; i++) ascii = w.charCodeAt(i) < 0x80;
  if (ascii) return w;
  let out = '';
  for (const c of w) out += FOLDING.get(c) ?? c;
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

/** A text's words, as the index's tokenizer splits it. */
function words(p: TextParams, text: string): string[] {
  return text.split(p.tokenizer === 'whitespace' ? SPACES : WORDS).filter((w) => w !== '');
}

/** Folded and lowercased as the index has it. */
const normal = (p: TextParams, w: string): string => {
  const f = p.fold ? fold(w) : w;
  return p.lowercase ? f.toLowerCase() : f;
};

/** Qdrant's process_token: the token a word is, or undefined for none. */
function token(p: TextParams, w: string, checkMax: boolean): string | undefined {
  const n = normal(p, w);
  if (p.stop?.has(n)) return undefined;
  const t = p.stem ? p.stem(n) : n;
  if (t === '') return undefined;
  if (p.min !== undefined && chars(t) < p.min) return undefined;
  if (checkMax && p.max !== undefined && chars(t) > p.max) return undefined;
  return t;
}

/**
 * A text's tokens in order, as Qdrant's document tokenizer makes them. A `prefix` index's tokens of
 * a word are its prefixes from min_token_len to max_token_len characters (the word itself when not
 * longer); they are not built (n²/2 characters for a word of n): each word stands for them, cut to
 * max_token_len (test/security/vectors-text-prefix-bounds.test.ts).
 */
export function docTokens(p: TextParams, text: string): string[] {
  return finish(docTokensWork(p, text));
}

/** docTokens() as work that pauses every EVERY + 1 words (a large value in a change's slices). */
export function* docTokensWork(p: TextParams, text: string): Work<string[]> {
  const out: string[] = [];
  if (p.tokenizer === 'prefix' && (p.min ?? 1) > (p.max ?? Number.POSITIVE_INFINITY)) return out; // none
  let n = 0;
  for (const w of words(p, text)) {
    if ((++n & EVERY) === 0) yield;
    const t = token(p, w, p.tokenizer !== 'prefix');
    if (t !== undefined) out.push(p.tokenizer === 'prefix' && p.max !== undefined ? cut(t, p.max) : t);
  }
  return out;
}

/** Work run to its end in this turn. */
export function finish<T>(work: Work<T>): T {
  for (;;) {
    const r = work.next();
    if (r.done) return r.value;
  }
}

/**
 * The tokens of a query, each once. A `prefix` query's words are folded, lowercased and stemmed,
 * not filtered by stop words (a word being typed may begin a longer one), and cut to max_token_len.
 */
export function queryTokens(p: TextParams, text: string): string[] {
  if (p.tokenizer !== 'prefix') return [...new Set(docTokens(p, text))];
  const out = new Set<string>();
  for (const w of words(p, text)) {
    const n = normal(p, w);
    const t = p.stem ? p.stem(n) : n;
    if (t === '' || (p.min !== undefined && chars(t) < p.min)) continue;
    out.add(p.max !== undefined ? cut(t, p.max) : t);
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
 * Stored values tokenized to answer queries (not to index them), since start: tests read it to see
 * that a query tokenizes its candidates only, not every value (text-inverted-index.test.ts).
 */
export const textWork = { values: 0 };

/** A stored value's tokens, for a query's test of it. */
function valueTokens(p: TextParams, v: string): string[] {
  textWork.values++;
  return docTokens(p, v);
}

/**
 * A text condition as the inverted index reads it (text-postings.ts): its kind, its tokens (none:
 * it matches nothing) and the index's parameters that made them; `settled` answers a value from
 * the postings (field-index.ts sets it before the filter runs, wherever the condition stands in
 * it: must, should, must_not, nested), and `known` holds the answers of values tested, so that a
 * query tests each distinct value once at most.
 */
export interface TextQuery {
  kind: 'all' | 'any' | 'phrase';
  tokens: string[];
  params: TextParams;
  settled?: (v: string) => boolean | undefined;
  known: Map<string, boolean>;
}
export type TextTest = ((v: unknown) => boolean) & { query: TextQuery };

/** Answers remembered per query up to this many distinct values (a scan of more tests them again). */
export const KNOWN_MAX = 100_000;

function textTest(
  params: TextParams,
  kind: TextQuery['kind'],
  tokens: string[],
  test: (v: string) => boolean,
): TextTest {
  const known = new Map<string, boolean>();
  const query: TextQuery = { kind, tokens, params, known };
  const fn = (v: unknown) => {
    if (typeof v !== 'string' || tokens.length === 0) return false;
    let yes = known.get(v) ?? query.settled?.(v);
    if (yes === undefined) {
      yes = test(v);
      if (known.size < KNOWN_MAX) known.set(v, yes);
    }
    return yes;
  };
  return Object.assign(fn, { query });
}

/**
 * Whether a stored value has every token of the query (none: no match). A `prefix` query token is
 * one of a value's when it begins one of its words (both cut to max_token_len, not shorter than
 * min_token_len): Qdrant's PrefixTokenizer's n-grams, without building them.
 */
export function textMatcher(p: TextParams, query: string): TextTest {
  return tokenMatcher(p, query, 'all');
}

/**
 * `match.text_any`: whether a stored value has some token of the query (none: no match). Qdrant's
 * AnyTokens (full_text_index_read.rs parse_text_any_query): the query's tokens as for `text`.
 */
export function anyMatcher(p: TextParams, query: string): TextTest {
  return tokenMatcher(p, query, 'any');
}

/** The test of `text` (every query token) or `text_any` (some), one code for both. */
function tokenMatcher(p: TextParams, query: string, kind: 'all' | 'any'): TextTest {
  const want = queryTokens(p, query);
  const each =
    kind === 'all'
      ? (f: (t: string) => boolean) => want.every(f)
      : (f: (t: string) => boolean) => want.some(f);
  if (p.tokenizer !== 'prefix')
    return textTest(p, kind, want, (v) => {
      const have = new Set(valueTokens(p, v));
      return each((t) => have.has(t));
    });
  return textTest(p, kind, want, (v) => {
    // Sorted, the words a token begins come first at or after it.
    const sorted = [...new Set(valueTokens(p, v))].sort();
    return each((q) => sorted[lowerBound(sorted, q)]?.startsWith(q) === true);
  });
}

/**
 * Where `pat` stands in `doc` one token after another (Knuth–Morris–Pratt: linear in both, a
 * phrase of 100,000 words against a value of 200,000 included); with `lastBegins`, the last token
 * of `pat` need only begin the value's token there (a `prefix` index: the phrase's last word's
 * n-grams are the first of the word it begins, every other word's all of them).
 */
export function occurs<T>(pat: ArrayLike<T>, doc: ArrayLike<T>, lastBegins: boolean): boolean {
  const m = lastBegins ? pat.length - 1 : pat.length;
  const last = String(pat[pat.length - 1]);
  const ok = (at: number) => !lastBegins || (at < doc.length && String(doc[at]).startsWith(last));
  if (m === 0) {
    for (let i = 0; i < doc.length; i++) if (ok(i)) return true;
    return false;
  }
  const fail = new Int32Array(m);
  for (let i = 1, k = 0; i < m; i++) {
    while (k > 0 && pat[i] !== pat[k]) k = fail[k - 1]!;
    if (pat[i] === pat[k]) k++;
    fail[i] = k;
  }
  for (let i = 0, k = 0; i < doc.length; i++) {
    while (k > 0 && doc[i] !== pat[k]) k = fail[k - 1]!;
    if (doc[i] === pat[k]) k++;
    if (k === m) {
      if (ok(i + 1)) return true;
      k = fail[k - 1]!;
    }
  }
  return false;
}

/**
 * Whether a stored value holds the phrase: its tokens (Qdrant tokenizes a phrase as a document:
 * stop words dropped) in the same order, one after another. None, or an index without
 * phrase_matching (Qdrant keeps no positions then): no match.
 */
export function phraseMatcher(p: TextParams, phrase: string): TextTest {
  const pat = p.phrase ? docTokens(p, phrase) : [];
  return textTest(p, 'phrase', pat, (v) => occurs(pat, valueTokens(p, v), p.tokenizer === 'prefix'));
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
