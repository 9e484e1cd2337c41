/**
 * REVIEW18 on CONSOLE11's a84a7fc2/eb9ea787: escape.ts judges every character outside ASSIGNED by a
 * callback, and runs of selectors, ZWJs, CGJs, FVSs and Khmer vowels by fixed-length look-behinds.
 * A hostile line (a key's user ID, a package's description, a server's answer) made of nothing but
 * characters off the fast path must still cost time in proportion to its length, not its square:
 * eight times the text, under 32 times the time (quadratic: 64; measured 7-14, load 3). Each line is also
 * escaped whole (every invisible one shown), and the lazy class is built from a constant, never
 * from the text.
 */
import { describe, expect, it } from 'vitest';
import { escapeLine, escapeText } from '../../src/present/escape.js';

const RUNS: Record<string, string> = {
  'variation selectors': '\ufe0f',
  ZWJs: '\u200d',
  'selector + ZWJ pairs': '\ufe0f\u200d',
  CGJs: '\u034f',
  'Mongolian FVSs': '\u180b',
  'Khmer inherent vowels': '\u17b4',
  'unassigned code points': '\u0378',
  'tag characters': '\u{e0041}',
  'flag prefixes cut short': '\u{1f3f4}\u{e0067}\u{e0062}',
  'Greek letters': 'α',
};

function best(f: (s: string) => string, s: string): number {
  let ms = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    f(s);
    ms = Math.min(ms, performance.now() - t);
  }
  return ms;
}

describe('escape on a long line off the fast path', () => {
  for (const [what, unit] of Object.entries(RUNS))
    it(`${what}: linear in the line's length, every hidden character shown`, () => {
      const small = unit.repeat(Math.ceil(125_000 / unit.length));
      const large = unit.repeat(Math.ceil(1_000_000 / unit.length));
      for (const f of [escapeLine, escapeText]) {
        // Warmed first: the lazy class and the JIT.
        f(small);
        const ratio = best(f, large) / Math.max(best(f, small), 0.5);
        expect(ratio).toBeLessThan(32);
      }
      const out = escapeLine(unit.repeat(4));
      if (what !== 'Greek letters' && what !== 'flag prefixes cut short') expect(out).toMatch(/\\u\{/);
    });
});
