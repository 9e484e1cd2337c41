/**
 * An upgrade carries out a plan shown earlier (`expected`, from `upgradePlan`), as an install does:
 * refused (`plan-changed`) when the plan made under the package lock differs, nothing asked when
 * it holds. The dashboard's Upgrade button relies on it (test/web/browser-upgrade covers the page).
 */
import { describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { publishSources, signedRepo, trustingRoot } from '../helpers/pkg.js';

describe('app packages.upgrade({ expected })', () => {
  it('carries out only the plan shown, without asking', async () => {
    const { key, repo } = await signedRepo([{ name: 'app', version: '1.0.0' }]);
    const root = await trustingRoot(key, repo);
    await openBox(root, { yes: true }).packages.install(['app']);
    const box = openBox(root, {
      confirm: async () => {
        throw new Error('asked although the plan was shown');
      },
    });
    const versions = async () => (await box.packages.list()).map((p) => `${p.name}@${p.version}`);

    await publishSources(repo, key, [{ name: 'app', version: '2.0.0' }]);
    await box.packages.update();
    const shown = (await box.packages.upgradePlan()).changes;
    expect(shown).toMatchObject([{ name: 'app', from: '1.0.0', to: '2.0.0' }]);
    // Behind the admin's back: a newer version, the index updated.
    await publishSources(repo, key, [{ name: 'app', version: '3.0.0' }]);
    await box.packages.update();
    await expect(box.packages.upgrade({ expected: shown })).rejects.toMatchObject({
      code: 'plan-changed',
      message: expect.stringContaining('The packages to upgrade changed since the plan was shown'),
    });
    expect(await versions()).toEqual(['app@1.0.0']);

    const again = (await box.packages.upgradePlan()).changes;
    expect(await box.packages.upgrade({ expected: again })).toMatchObject([{ name: 'app', to: '3.0.0' }]);
    expect(await versions()).toEqual(['app@3.0.0']);
  });

  it('refuses a plan shown when, by the time it is confirmed, nothing is left to upgrade', async () => {
    const { key, repo } = await signedRepo([{ name: 'app', version: '1.0.0' }]);
    const root = await trustingRoot(key, repo);
    await openBox(root, { yes: true }).packages.install(['app']);
    const box = openBox(root, { yes: true });
    await publishSources(repo, key, [{ name: 'app', version: '2.0.0' }]);
    await box.packages.update();
    const shown = (await box.packages.upgradePlan()).changes;
    expect(shown).toMatchObject([{ name: 'app', from: '1.0.0', to: '2.0.0' }]);
    // Another front end (the console, a script) upgraded it meanwhile: the page's plan is stale,
    // and "nothing upgraded" would read as if the admin's click had done nothing wrong.
    await openBox(root, { yes: true }).packages.upgrade();
    await expect(box.packages.upgrade({ expected: shown })).rejects.toMatchObject({ code: 'plan-changed' });
  });
});
