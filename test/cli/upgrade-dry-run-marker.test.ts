/**
 * QA26: every other dry run's --json document says it is one, `"dryRun": true` (install, remove,
 * autoremove, clean, apply, setup), so a playbook can tell a plan from a change by the document
 * alone; `bpkg upgrade --dry-run --json` (and -s, --simulate) did not, and its plan's keys
 * (`upgradable`, `newPackages`) differ from the upgrade's (`changes`). It now has `dryRun: true`;
 * `list --upgradable`, which plans nothing, has none.
 */
import { describe, expect, it } from 'vitest';
import { bpkg, tempDir } from '../helpers/pkg.js';

describe('bpkg upgrade --dry-run --json says it is a dry run', () => {
  it.each([['--dry-run'], ['-s'], ['--simulate']])('%s', async (flag) => {
    const root = tempDir('bp-updry-');
    const r = await bpkg(root, ['--json', 'upgrade', flag]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ dryRun: true, upgradable: [], newPackages: [], heldBack: [] });
  });

  it('list --upgradable is no dry run: no marker', async () => {
    const root = tempDir('bp-updry-');
    const r = await bpkg(root, ['--json', 'list', '--upgradable']);
    expect(JSON.parse(r.stdout)).toEqual({ upgradable: [], heldBack: [] });
  });
});
