import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LoadedRegistration } from '../../src/core/services/registry.js';
import { planUses } from '../../src/core/services/wiring.js';

// QA15's walk: notes-ui uses notes>=0.1.0,<1.0.0; notes was removed (--force), and the repository's
// newest notes is 1.0.0. service start notes-ui said 'Install it: `bpkg install notes`', which then
// refused ('This would break what installed packages need: notes-ui 0.1.0 needs notes>=0.1.0,<1.0.0'):
// the hint named the one command that cannot work. With a range it now names the range and
// NAME@VERSION (bpkg install notes@0.2.0 installed it and the start went on).
const root = mkdtempSync(path.join(tmpdir(), 'bp-uses-range-'));
afterAll(() => rm(root, { recursive: true, force: true }));

const reg = (uses: string[]) =>
  ({ name: 'notes-ui', version: '0.1.0', uses }) as unknown as LoadedRegistration;

describe('service start: a used module not installed', () => {
  it('names the range it must be in, and how to pick a version', async () => {
    await expect(planUses(root, reg(['notes>=0.1.0,<1.0.0']))).rejects.toMatchObject({
      code: 'uses-missing',
      hint: 'Install a version of notes that notes-ui accepts (>=0.1.0 <1.0.0): `bpkg install notes`, or `bpkg install notes@VERSION` when the newest is out of that range',
    });
  });
  it('without a range, says install it as before', async () => {
    await expect(planUses(root, reg(['notes']))).rejects.toMatchObject({
      code: 'uses-missing',
      hint: 'Install it: `bpkg install notes`',
    });
  });
});
