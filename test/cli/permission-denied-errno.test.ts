/**
 * "Permission denied" from Node (an admin who forgot sudo: root's folders are 0700) was told apart
 * by the same test, `code === 'EACCES' || code === 'EPERM'`, in the CLI's error report, the box
 * summary (app/system.ts) and the console's sources. One function now (core/errors.ts
 * isPermissionDenied, through src/app), for fs and net errors alike; the three say what they said
 * (cli/not-root, tui/not-root).
 */
import { describe, expect, it } from 'vitest';
import { isPermissionDenied } from '../../src/app/base.js';

const errno = (code: string) => Object.assign(new Error(`${code}: x`), { code });

describe('isPermissionDenied', () => {
  it('EACCES and EPERM are; other errors, other values and none are not', () => {
    expect(isPermissionDenied(errno('EACCES'))).toBe(true);
    expect(isPermissionDenied(errno('EPERM'))).toBe(true);
    for (const e of [errno('ENOENT'), errno('EROFS'), new Error('EACCES'), 'EACCES', undefined, null, {}])
      expect(isPermissionDenied(e)).toBe(false);
  });
});
