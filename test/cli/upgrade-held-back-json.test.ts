/**
 * `bpkg upgrade --json` answered only `changes`: a script that upgrades could not tell what was
 * held back (the warning goes to stderr as text), while `upgrade --dry-run --json` and
 * `list --upgradable --json` carry `heldBack`. The real upgrade's answer now has `heldBack` in the
 * dry run's shape, from the upgrade's own plan (`[]` when none); `blueprint pkg upgrade` is the
 * same command. The real executable.
 */
import { describe, expect, it } from 'vitest';
import { boxBeforeHeldBack, HELD_BACK_JSON as heldJson } from '../helpers/held-back.js';
import { bpkg, run } from '../helpers/pkg.js';

describe('bpkg upgrade --json and what it held back', () => {
  it('says heldBack as the dry run does, whether or not something was upgraded', async () => {
    const root = await boxBeforeHeldBack();
    expect((await bpkg(root, ['update'])).code).toBe(0);
    const dry = JSON.parse((await bpkg(root, ['--json', 'upgrade', '--dry-run'])).stdout);

    const up = await bpkg(root, ['--json', 'upgrade']);
    expect(up.code, up.stderr).toBe(0);
    const json = JSON.parse(up.stdout);
    expect(json.changes.map((c: { name: string }) => c.name)).toEqual(['good']);
    expect(json.heldBack).toEqual(dry.heldBack);
    expect(json.heldBack).toMatchObject(heldJson);

    // Nothing left to upgrade but the held-back one; blueprint pkg upgrade answers the same.
    const again = await run(['--root', root, '--json', 'pkg', 'upgrade']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ changes: [], heldBack: heldJson });
  });
});
