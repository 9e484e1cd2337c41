import { appOps } from '../../src/web/app-ops.js';

/**
 * The dashboard's upgrade as its pages make it: "Update and upgrade all…" updates the indexes (the
 * repositories it could not update are said above the plan), the plan is shown, then Upgrade.
 * Shaped as a front end's packageAction, for the tests that compare the fronts.
 */
export const webUpgrade =
  (root: string) =>
  async (_action: 'upgrade', _name: string, progress: (line: string) => void, signal: AbortSignal) => {
    const ops = appOps(root);
    for (const line of await ops.refresh()) progress(line);
    const { plan } = await ops.upgradePlan();
    await ops.packageAction('upgrade', '', progress, signal, undefined, plan);
  };
