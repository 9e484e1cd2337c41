/**
 * An upgrade held back by what an installed package needs. A real `bpkg upgrade` warned
 * 'greetdata 2.0.0 held back (stays at 1.0.0): greeter 1.0.0 needs greetdata=1.0.0 (...)', but
 * `bpkg upgrade --dry-run` and `bpkg list --upgradable`, asked before it, listed only the upgrades
 * (or said 'Everything is up to date.'), never what would be kept back (apt: "The following
 * packages have been kept back"). Both now list it under 'Held back:' in the real upgrade's words,
 * and --json has `heldBack` (`[]` when none); a real upgrade with only those left no longer says
 * 'Everything is up to date.' under its warning. The real executable.
 */
import { describe, expect, it } from 'vitest';
import {
  boxBeforeHeldBack,
  HELD_BACK_JSON as heldJson,
  HELD_BACK_LINE as LINE,
} from '../helpers/held-back.js';
import { bpkg } from '../helpers/pkg.js';

describe('upgrades held back, seen before upgrading', () => {
  it('upgrade --dry-run and list --upgradable say what bpkg upgrade will hold back', async () => {
    const root = await boxBeforeHeldBack();
    expect((await bpkg(root, ['update'])).code).toBe(0);

    for (const args of [
      ['upgrade', '--dry-run'],
      ['list', '--upgradable'],
    ]) {
      const r = await bpkg(root, args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/good\s+1\.0\.0 -> 1\.1\.0\s+\(main\)/);
      expect(r.stdout).toContain(`Held back:\n  ${LINE}`);
      const json = JSON.parse((await bpkg(root, ['--json', ...args])).stdout);
      expect(json.upgradable.map((u: { name: string }) => u.name)).toEqual(['good']);
      expect(json.heldBack).toMatchObject(heldJson);
    }

    // The real upgrade says the same words, and upgrades good only.
    const up = await bpkg(root, ['upgrade']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(`warning: ${LINE}`);
    expect(up.stdout).toContain('upgraded good 1.0.0 -> 1.1.0');

    // Only the held-back one is left: not 'Everything is up to date.'
    for (const args of [
      ['upgrade', '--dry-run'],
      ['list', '--upgradable'],
    ]) {
      const r = await bpkg(root, args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toContain('up to date');
      expect(r.stdout).toContain(`Nothing can be upgraded now.\nHeld back:\n  ${LINE}`);
      const json = JSON.parse((await bpkg(root, ['--json', ...args])).stdout);
      expect(json).toMatchObject({ upgradable: [], heldBack: heldJson });
    }
    // The real upgrade, with only that left, warns again and does not say 'up to date' either.
    const again = await bpkg(root, ['upgrade']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`warning: ${LINE}`);
    expect(again.stdout.trim()).toBe('Nothing can be upgraded now: 1 package held back (see the warning).');
    const none = JSON.parse((await bpkg(root, ['--json', 'upgrade'])).stdout);
    expect(none.changes).toEqual([]);
  });
});
