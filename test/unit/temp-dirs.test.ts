import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../helpers/pkg.js';

describe('test temp folders', () => {
  it('are removed with their contents, and only once', () => {
    const a = tempDir();
    const b = tempDir('bp-other-');
    writeFileSync(path.join(a, 'big'), 'x');
    expect(removeTempDirs()).toBeGreaterThanOrEqual(2);
    expect(existsSync(a)).toBe(false);
    expect(existsSync(b)).toBe(false);
    expect(removeTempDirs()).toBe(0);
  });
});
