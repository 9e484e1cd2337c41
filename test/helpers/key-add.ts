import type { TestKey } from './pkg.js';

type Key = Pick<TestKey, 'publicFile' | 'fingerprint'>;

/**
 * The words that trust `key` on the box at `root` (`--root ROOT pkg key add FILE --fingerprint
 * FPR`, then `rest`), for the executable or runCliHere; a root not there yet is made by it.
 */
export function keyAddArgs(root: string, key: Key, ...rest: string[]): string[] {
  return ['--root', root, 'pkg', 'key', 'add', key.publicFile, '--fingerprint', key.fingerprint, ...rest];
}
