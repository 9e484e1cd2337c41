import { expect, it } from 'vitest';
import { bpkg, publishSources, signedRepo, trustingRoot } from '../helpers/pkg.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

/**
 * The console's `u` upgrades every installed package (after `bpkg update`), but its question named
 * the selected row: 'Confirm: upgrade alpha?' over 'upgrade alpha', and y upgraded beta too. The
 * question now says what y does: all of them, the indexes updated first.
 */
it('u asks to upgrade all, not the selected package, and upgrades all', async () => {
  const { key, repo } = await signedRepo([
    { name: 'alpha', version: '1.0.0' },
    { name: 'beta', version: '1.0.0' },
  ]);
  const root = await trustingRoot(key, repo);
  expect((await bpkg(root, ['--yes', 'install', 'alpha', 'beta'])).code).toBe(0);
  await publishSources(repo, key, [
    { name: 'alpha', version: '1.1.0' },
    { name: 'beta', version: '1.1.0' },
  ]);
  const app = renderApp(sourcesFor(root));
  await type(app, '2');
  await frameWith(app, /> alpha\s+1\.0\.0\s+installed/);
  await type(app, 'u');
  const ask = await frameWith(app, 'Confirm: upgrade');
  expect(ask).not.toContain('upgrade alpha');
  expect(ask).toContain('Confirm: upgrade all?');
  expect(ask).toContain('every installed package');
  await type(app, 'y');
  await frameWith(app, 'Done.');
  app.unmount();
  const list = (await bpkg(root, ['list'])).stdout;
  expect(list).toMatch(/alpha\s+1\.1\.0/);
  expect(list).toMatch(/beta\s+1\.1\.0/);
});
