/**
 * A `text` payload index's parameters, read as Qdrant 1.19 reads them (its data_types/index.rs
 * TextIndexParams): `tokenizer`, `lowercase`, `min_token_len`, `max_token_len`, `ascii_folding`,
 * `stopwords` (a language, or `{languages, custom}`), `stemmer` (`{type: "snowball", language}` or
 * `{type: "none"}`), `phrase_matching`; `on_disk`, `memory` and `enable_hnsw` change no answer.
 * What no library here gives exactly as Qdrant does is a 400 naming it: the `multilingual`
 * tokenizer (charabia's segmentation). Greek, which snowball-stemmers lacks, is multilingual-stemmer's
 * (Snowball compiled to WebAssembly), loaded at the first Greek index (greek-stemmer.ts).
 * Read once per schema object (the schema a collection keeps), not once per filter: a custom
 * stop-word list of 200,000 words is a Set built once.
 */
import snowball from 'snowball-stemmers';
import { HttpError } from '../../kit/server/index.js';
import { greekStemmer } from './greek-stemmer.js';
import { STOPWORDS } from './stopwords-data.js';

const bad = (message: string) => new HttpError(400, `Wrong input: ${message}`);

export interface TextParams {
  tokenizer: 'word' | 'whitespace' | 'prefix';
  lowercase: boolean;
  min?: number;
  max?: number;
  /** Qdrant's ascii_folding (ascii-folding-data.ts). */
  fold?: boolean;
  /** Stop words, lowercased when the index lowercases (Qdrant's StopwordsFilter). */
  stop?: ReadonlySet<string>;
  /** The Snowball stemmer of the index's language. */
  stem?: (word: string) => string;
  /** Whether match.phrase can match (Qdrant keeps positions only with phrase_matching). */
  phrase: boolean;
}

/** Fields of a text index schema that change no answer here (storage hints). */
const HARMLESS = ['type', 'on_disk', 'memory', 'enable_hnsw'];
const SERVED = ['tokenizer', 'lowercase', 'min_token_len', 'max_token_len', 'ascii_folding'];
const MORE = ['stopwords', 'stemmer', 'phrase_matching'];

/** Qdrant's stop-word languages (data_types/index.rs Language) by name and alias. */
const LANGUAGE_ALIASES: Record<string, string> = {
  ar: 'arabic',
  az: 'azerbaijani',
  eu: 'basque',
  bn: 'bengali',
  ca: 'catalan',
  zh: 'chinese',
  da: 'danish',
  nl: 'dutch',
  en: 'english',
  fi: 'finnish',
  fr: 'french',
  de: 'german',
  el: 'greek',
  he: 'hebrew',
  'hi-en': 'hinglish',
  hu: 'hungarian',
  id: 'indonesian',
  it: 'italian',
  jp: 'japanese',
  kk: 'kazakh',
  ne: 'nepali',
  no: 'norwegian',
  pt: 'portuguese',
  ro: 'romanian',
  ru: 'russian',
  sl: 'slovene',
  es: 'spanish',
  sv: 'swedish',
  tg: 'tajik',
  tr: 'turkish',
};
/** Qdrant's Snowball languages (SnowballLanguage) by alias. */
const SNOWBALL_ALIASES: Record<string, string> = {
  ar: 'arabic',
  hy: 'armenian',
  da: 'danish',
  nl: 'dutch',
  en: 'english',
  fi: 'finnish',
  fr: 'french',
  de: 'german',
  el: 'greek',
  hu: 'hungarian',
  it: 'italian',
  no: 'norwegian',
  pt: 'portuguese',
  ro: 'romanian',
  ru: 'russian',
  es: 'spanish',
  sv: 'swedish',
  ta: 'tamil',
  tr: 'turkish',
};
const SNOWBALL = new Set(Object.values(SNOWBALL_ALIASES));

const count = (v: unknown, name: string): number | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 1_000)
    throw bad(`text index ${name} must be a whole number from 0 to 1000`);
  return v;
};

const flag = (v: unknown, name: string): boolean | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw bad(`text index ${name} must be true or false`);
  return v;
};

function stopLanguage(v: unknown): string {
  const name = typeof v === 'string' ? (LANGUAGE_ALIASES[v] ?? v) : undefined;
  if (name === undefined || !Object.hasOwn(STOPWORDS, name))
    throw bad(
      `text index stopwords language ${JSON.stringify(v)} is not one of Qdrant's (${Object.keys(STOPWORDS).join(', ')})`,
    );
  return name;
}

/** Qdrant's StopwordsFilter: the languages' lists and the custom words, lowercased with the index. */
function stopwords(v: unknown, lowercase: boolean): Set<string> | undefined {
  if (v === undefined || v === null) return undefined;
  const langs: string[] = [];
  const custom: string[] = [];
  if (typeof v === 'string') langs.push(stopLanguage(v));
  else if (typeof v === 'object' && !Array.isArray(v)) {
    const o = v as { languages?: unknown; custom?: unknown };
    for (const [k, list] of [
      ['languages', o.languages],
      ['custom', o.custom],
    ] as const) {
      if (list === undefined || list === null) continue;
      if (!Array.isArray(list) || (k === 'custom' && !list.every((w) => typeof w === 'string')))
        throw bad(`text index stopwords.${k} must be a list of ${k === 'custom' ? 'words' : 'languages'}`);
      if (k === 'languages') for (const l of list) langs.push(stopLanguage(l));
      else for (const w of list as string[]) custom.push(w); // not push(...list): 200,000 arguments
    }
  } else throw bad('text index stopwords must be a language or {"languages": [...], "custom": [...]}');
  const set = new Set<string>();
  for (const l of new Set(langs))
    for (const w of STOPWORDS[l]!.split('\n')) set.add(lowercase ? w.toLowerCase() : w);
  for (const w of custom) set.add(lowercase ? w.toLowerCase() : w);
  return set;
}

/**
 * Words up to this many UTF-16 units are stemmed; a longer one is kept whole. Snowball's preludes
 * (Dutch, Spanish, Italian, Catalan) are quadratic in a word's length: 127 s in snowball-stemmers
 * for one word of 300,000 letters. No word of a language is near it; Qdrant stems any length.
 */
export const STEM_MAX = 256;
/** Stems kept per stemmer, so that a scan stems each distinct word once (cleared when full). */
const STEM_CACHE = 50_000;

function stemmer(v: unknown): ((w: string) => string) | undefined {
  if (v === undefined || v === null) return undefined;
  const o = typeof v === 'object' && !Array.isArray(v) ? (v as { type?: unknown; language?: unknown }) : {};
  if (o.type === 'none') return undefined;
  if (o.type !== 'snowball')
    throw bad('text index stemmer must be {"type": "snowball", "language": ...} or {"type": "none"}');
  const lang = typeof o.language === 'string' ? (SNOWBALL_ALIASES[o.language] ?? o.language) : '';
  if (!SNOWBALL.has(lang))
    throw bad(
      `text index stemmer language ${JSON.stringify(o.language)} is not one of Qdrant's (${[...SNOWBALL].join(', ')})`,
    );
  const s = lang === 'greek' ? greekStemmer() : snowball.newStemmer(lang);
  const memo = new Map<string, string>();
  return (w) => {
    if (w.length > STEM_MAX) return w;
    let out = memo.get(w);
    if (out === undefined) {
      if (memo.size >= STEM_CACHE) memo.clear();
      out = s.stem(w);
      memo.set(w, out);
    }
    return out;
  };
}

function read(s: Record<string, unknown>): TextParams {
  for (const [k, v] of Object.entries(s)) {
    if (v === undefined || v === null || HARMLESS.includes(k) || SERVED.includes(k) || MORE.includes(k))
      continue;
    throw bad(
      `text index "${k}" is not supported by this server (supported: ${[...SERVED, ...MORE, 'on_disk', 'memory'].join(', ')})`,
    );
  }
  const tokenizer = s.tokenizer ?? 'word';
  if (tokenizer !== 'word' && tokenizer !== 'whitespace' && tokenizer !== 'prefix')
    throw bad(
      `text index tokenizer ${JSON.stringify(tokenizer)} is not supported (word, whitespace or prefix; Qdrant's multilingual is charabia's segmentation and normalizers, with vaporetto for Japanese, which no library here reproduces)`,
    );
  const lowercase = flag(s.lowercase, 'lowercase') !== false;
  return {
    tokenizer,
    lowercase,
    min: count(s.min_token_len, 'min_token_len'),
    max: count(s.max_token_len, 'max_token_len'),
    fold: flag(s.ascii_folding, 'ascii_folding') === true,
    stop: stopwords(s.stopwords, lowercase),
    stem: stemmer(s.stemmer),
    phrase: flag(s.phrase_matching, 'phrase_matching') === true,
  };
}

const DEFAULT: TextParams = { tokenizer: 'word', lowercase: true, phrase: false };
const cache = new WeakMap<object, TextParams>();

/**
 * A text index's parameters from its schema ("text" or {"type": "text", ...}); undefined for other
 * schemas. A parameter not served here is a 400 naming it.
 */
export function textParams(schema: unknown): TextParams | undefined {
  if (schema === 'text') return DEFAULT;
  if (typeof schema !== 'object' || schema === null || (schema as { type?: unknown }).type !== 'text') return;
  let p = cache.get(schema);
  if (!p) {
    p = read(schema as Record<string, unknown>);
    cache.set(schema, p);
  }
  return p;
}
