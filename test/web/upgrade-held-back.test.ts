/**
 * The dashboard's upgrade plan and what `bpkg upgrade` holds back. The plan page listed only the
 * upgrades; with every newer version held back it said 'Nothing to upgrade: every installed
 * package is at the newest version its repository offers', which was not true (greetdata 2.0.0 is
 * offered, held back for greeter). `bpkg upgrade --dry-run` lists them under 'Held back:' in the
 * upgrade's words; the page now does too. A real box (signed repository), the page as served.
 * The page's plan and its held-back list come from one look at the upgrades (it was two).
 */
import { describe, expect, it, vi } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { appOps } from '../../src/web/app-ops.js';
import { confirmUpgradeBody } from '../../src/web/pages.js';
import { boxBeforeHeldBack, HELD_BACK_LINE as LINE } from '../helpers/held-back.js';

const text = (html: string) => html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ');

describe('the dashboard upgrade plan says what is held back', () => {
  it('lists held-back upgrades beside the plan, and does not call the box up to date', async () => {
    const root = await boxBeforeHeldBack();
    const ops = appOps(root);
    expect(await ops.refresh()).toEqual([]);

    // The plan and what is held back come from one look at the upgrades, not one each.
    const looks = vi.spyOn(PackageManager.prototype, 'upgradePlan');
    const both = await ops.upgradePlan();
    expect(looks).toHaveBeenCalledTimes(1);
    looks.mockRestore();
    expect(both.planRows.map((r) => r[0])).toEqual(['good']);
    expect(both.held).toEqual([LINE]);
    const page = text(String(confirmUpgradeBody(both, 'csrf')));
    expect(page).toContain('The upgrade makes these changes:');
    expect(page).toContain(`Held back: ${LINE}`);

    await openBox(root, { yes: true }).packages.upgrade();
    const onlyHeld = await ops.upgradePlan();
    expect(onlyHeld.planRows).toEqual([]);
    const none = text(String(confirmUpgradeBody(onlyHeld, 'csrf')));
    expect(none).not.toContain('newest version');
    expect(none).toContain(`Nothing can be upgraded now. Held back: ${LINE}`);
    expect(none).not.toContain('type="submit"');

    // A job that upgraded nothing says bpkg upgrade's line, from the upgrade's own look at the upgrades.
    const job: string[] = [];
    const jobLooks = vi.spyOn(PackageManager.prototype, 'upgradePlan');
    await ops.packageAction(
      'upgrade',
      'all',
      (l) => job.push(l),
      new AbortController().signal,
      undefined,
      onlyHeld.plan,
    );
    expect(jobLooks).toHaveBeenCalledTimes(1);
    jobLooks.mockRestore();
    expect(job.at(-1)).toBe('Nothing can be upgraded now: 1 package held back (see the warning).');
  });
});
