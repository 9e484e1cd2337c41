import { expect, it } from 'vitest';
import { bpkg, publishSources, signedRepo, trustingRoot } from '../helpers/pkg.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

/**
 * The console's `u` upgrades every installed package (after `bpkg update`), but its question named
 * the selected row: 'Confirm: upgrade alpha?' over 'upgrade alpha', and y upgraded beta too; and it
 * showed no plan, where `bpkg upgrade` and the dashboard show each package from -> to first. The
 * question now says all, with the plan made after the update; y carries out that plan only.
 */

/**
 * alpha and beta 1.0.0 installed from a signed repository that then publishes alpha 1.1.0 and beta
 * `beta`; the console on Packages, alpha selected, and u pressed.
 */
async function upgradeAsked(beta: string) {
  const { key, repo } = await signedRepo([
    { name: 'alpha', version: '1.0.0' },
    { name: 'beta', version: '1.0.0' },
  ]);
  const root = await trustingRoot(key, repo);
  expect((await bpkg(root, ['--yes', 'install', 'alpha', 'beta'])).code).toBe(0);
  await publishSources(repo, key, [
    { name: 'alpha', version: '1.1.0' },
    { name: 'beta', version: beta },
  ]);
  const app = renderApp(sourcesFor(root));
  await type(app, '2');
  await frameWith(app, /> alpha\s+1\.0\.0\s+installed/);
  await type(app, 'u');
  return { key, repo, root, app };
}

it('u asks to upgrade all, not the selected package, and upgrades all', async () => {
  const { root, app } = await upgradeAsked('1.1.0');
  const ask = await frameWith(app, 'Confirm: upgrade');
  expect(ask).not.toContain('upgrade alpha');
  expect(ask).toContain('Confirm: upgrade all?');
  // The plan, after bpkg update: every package that goes, from -> to (bpkg upgrade's lines).
  expect(ask).toContain('alpha 1.0.0 -> 1.1.0 (from main)');
  expect(ask).toContain('beta 1.0.0 -> 1.1.0 (from main)');
  await type(app, 'y');
  await frameWith(app, 'Done.');
  app.unmount();
  const list = (await bpkg(root, ['list'])).stdout;
  expect(list).toMatch(/alpha\s+1\.1\.0/);
  expect(list).toMatch(/beta\s+1\.1\.0/);
});

it('y after the plan changed elsewhere upgrades nothing and says why', async () => {
  const { key, repo, root, app } = await upgradeAsked('1.0.0');
  expect(await frameWith(app, 'Confirm: upgrade all?')).toContain('alpha 1.0.0 -> 1.1.0 (from main)');
  // Meanwhile another admin publishes and upgrades beta too: the plan shown is not the one now.
  await publishSources(repo, key, [
    { name: 'alpha', version: '1.1.0' },
    { name: 'beta', version: '1.1.0' },
  ]);
  expect((await bpkg(root, ['update'])).code).toBe(0);
  await type(app, 'y');
  expect(await frameWith(app, 'Press any key.')).toContain('changed since the plan was shown');
  app.unmount();
  const list = (await bpkg(root, ['list'])).stdout;
  expect(list).toMatch(/alpha\s+1\.0\.0/);
  expect(list).toMatch(/beta\s+1\.0\.0/);
});
