import type { Box, PlannedChange } from '../app/index.js';
import { heldBackLines } from '../present/held-back.js';
import { upgradedLine, upgradePlanLines } from '../present/install.js';
import { nothingUpgradedLine, type packageProgress } from '../present/packages.js';
import { notUpdatedLines } from '../present/update-outcome.js';

/**
 * The console's `u` as `bpkg update && bpkg upgrade` and the dashboard do it: the indexes updated,
 * the plan shown before the question (each package from -> to, what is held back), then that plan
 * carried out, once (`expected`: a plan changed meanwhile is refused, plan-changed, and nothing is
 * upgraded). Without a plan shown (a caller that asks none), the upgrade updates first itself.
 */
export function consoleUpgrade(box: Box) {
  let shown: PlannedChange[] | undefined;
  return {
    async plan(): Promise<{ lines: string[]; changes: number }> {
      const notUpdated = notUpdatedLines(await box.packages.update());
      const { changes, held } = await box.packages.upgradePlan({ quiet: true });
      shown = changes;
      return {
        lines: [...notUpdated, ...upgradePlanLines(changes), ...heldBackLines(held)],
        changes: changes.length,
      };
    },
    async run(call: ReturnType<typeof packageProgress>, progress: (line: string) => void): Promise<void> {
      const expected = shown;
      shown = undefined;
      let held = 0;
      const done = await box.packages.upgrade({
        ...call,
        ...(expected
          ? { expected }
          : {
              refresh: true,
              // A repository not updated is said (a refused index read as 'everything is up to date').
              onUpdated: (outcomes) => {
                for (const line of notUpdatedLines(outcomes)) progress(line);
              },
            }),
        onHeld: (h) => (held = h.length),
      });
      // The CLI's lines: a dependency new to the box is installed, not upgraded from nothing;
      // nothing done is "up to date" only when nothing newer was held back (warned above).
      for (const line of done.length ? done.map(upgradedLine) : [nothingUpgradedLine(held)]) progress(line);
    },
  };
}
