/**
 * The names meant by a word typed a letter or two off (instal, --jsn, servce), for the
 * CLI's "did you mean": one edit for a name of up to 4 letters, two for a longer one, two
 * neighbours swapped counting as one (core/system/edit-distance.ts).
 */
import { editDistance } from '../core/system/edit-distance.js';

export const nearNames = (word: string, names: string[]): string[] =>
  names.filter((n) => editDistance(word, n, 2, true) <= (n.length > 4 ? 2 : 1));
