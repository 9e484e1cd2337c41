/**
 * `blueprint system update FILE` and `system rollback` on a box without A/B slots: their help says
 * exit 3 ('no A/B slots'), and so it was without `rauc`; with `rauc` installed and no system.conf
 * for the root (a box not built with --ab, the demo root) they exited 1, as if RAUC had failed.
 * That case is now not found too (3), with the same message and hint; a RAUC that fails otherwise
 * stays 1 (its own words). In this process, as cli/system-status-no-rauc.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { tempDir } from '../setup/temp-registry.js';

const pathBefore = process.env.PATH;
afterEach(() => {
  process.env.PATH = pathBefore;
});

const hasRauc = (() => {
  try {
    execFileSync('rauc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('system update and rollback without A/B slots: exit 3, as their help says', () => {
  it.each([
    ['RAUC has no system.conf for this root', hasRauc, () => {}],
    [
      '`rauc` is not installed',
      true,
      () => {
        process.env.PATH = tempDir('bp-empty-path-');
      },
    ],
  ])('%s', async (_, can, setup) => {
    if (!can) return;
    setup();
    const root = tempDir('bp-no-slots-');
    const bundle = path.join(tempDir('bp-bundle-'), 'b.raucb');
    writeFileSync(bundle, 'x');
    for (const args of [
      ['system', 'update', bundle],
      ['system', 'rollback'],
    ]) {
      const r = await runCliHere(['--root', root, ...args]);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(3);
      expect(r.err).toMatch(/^error: .*rauc/im);
      expect(r.err).toMatch(/^hint: .*build-image\.sh --ab/m);
    }
    const help = await runCliHere(['system', 'rollback', '--help']);
    expect(help.out).toContain('3 no other slot or no A/B slots');
  });
});
