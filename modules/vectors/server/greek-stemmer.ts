/**
 * Qdrant's Greek Snowball stemmer (its rust-stemmers fork, 1.2.1), which snowball-stemmers lacks:
 * multilingual-stemmer's, Snowball compiled to WebAssembly. On Snowball's Greek word list (90,727
 * words) the two differ on one word only: "ισα" (in any case and accents), which Qdrant's older
 * Greek stems to "" and current Snowball to "ισ"; that one is given as Qdrant gives it
 * (test/vectors/greek-stems.json). The WebAssembly is compiled at the first Greek index, not at
 * start: the package's own entry compiles it on import (~45 ms of CPU), so its wasm-bindgen glue is
 * loaded here, by path, and given the bytes synchronously.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

interface Glue {
  initSync(o: { module: Uint8Array }): unknown;
  Languages: Record<string, number>;
  Stemmer: new (language: number) => { stem(word: string): string };
}

let stem: ((word: string) => string) | undefined;

/** "ισα" as Snowball's Greek prelude reads it: accents off, lowercased, final sigma as σ. */
const isIsa = (w: string): boolean =>
  w.length <= 4 &&
  w
    .normalize('NFD')
    .replace(/\p{Mn}/gu, '')
    .toLowerCase()
    .replace(/ς/g, 'σ') === 'ισα';

export function greekStemmer(): { stem(word: string): string } {
  if (!stem) {
    const dir = new URL('./browser/', import.meta.resolve('multilingual-stemmer'));
    const glue = createRequire(import.meta.url)(fileURLToPath(new URL('index.js', dir))) as Glue;
    glue.initSync({ module: readFileSync(new URL('index_bg.wasm', dir)) });
    const s = new glue.Stemmer(glue.Languages.Greek!);
    stem = (w) => {
      const out = s.stem(w);
      return out === 'ισ' && isIsa(w) ? '' : out;
    };
  }
  return { stem };
}
