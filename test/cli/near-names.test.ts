/**
 * The CLI's "did you mean" (cli/usage-text.ts) had its own Damerau-Levenshtein distance beside
 * core/system/edit-distance.ts. It now asks src/present/near-names.ts, which uses the core one with
 * swaps of two neighbours counted as one edit, as the CLI's did: the same names come back (the
 * executable's side: test/cli/did-you-mean).
 */
import { describe, expect, it } from 'vitest';
import { editDistance } from '../../src/core/system/edit-distance.js';
import { nearNames } from '../../src/present/near-names.js';

describe('nearNames', () => {
  it('one edit for a name of up to 4 letters, two for a longer one; a swap is one', () => {
    expect(nearNames('lsit', ['list', 'logs', 'stop'])).toEqual(['list']);
    expect(nearNames('staus', ['status', 'setup'])).toEqual(['status']);
    expect(nearNames('mdoel', ['model', 'module', 'modules'])).toEqual(['model']);
    expect(nearNames('ls', ['list', 'logs'])).toEqual([]);
    expect(nearNames('instal', ['install', 'info', 'list'])).toEqual(['install']);
    expect(nearNames('jsn', ['json', 'yes', 'root'])).toEqual(['json']);
  });

  it('the core distance: swaps counted only when asked (the package names keep Levenshtein)', () => {
    expect(editDistance('lsit', 'list')).toBe(2);
    expect(editDistance('lsit', 'list', 2, true)).toBe(1);
    expect(editDistance('ab', 'ba', Number.POSITIVE_INFINITY, true)).toBe(1);
    expect(editDistance('abcdef', 'badcfe', 1, true)).toBe(2); // past `most`: most + 1
    expect(editDistance('kitten', 'sitting', Number.POSITIVE_INFINITY, true)).toBe(3);
  });
});
