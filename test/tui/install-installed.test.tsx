import { expect, it } from 'vitest';
import { bpkg, signedRepo, trustingRoot } from '../helpers/pkg.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

/**
 * Enter (install) on a package that is installed already: the console asked, then showed only
 * "verified: signed by …" and "Done.", as if it had installed it; `bpkg install` and the
 * dashboard say "NAME is already installed".
 */
it('says the package is already installed rather than only Done.', async () => {
  const { key, repo } = await signedRepo([{ name: 'greeter', version: '1.0.0', summary: 'hi' }]);
  const root = await trustingRoot(key, repo);
  expect((await bpkg(root, ['install', '--yes', 'greeter'])).code).toBe(0);
  const app = renderApp(sourcesFor(root));
  await type(app, '2');
  await frameWith(app, /greeter\s+1\.0\.0\s+installed/);
  await type(app, 'i');
  await frameWith(app, 'Confirm: install greeter?');
  await type(app, 'y');
  expect(await frameWith(app, 'Done.')).toContain('greeter is already installed');
  app.unmount();
});
