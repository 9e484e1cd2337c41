/**
 * The console's Packages screen said `installed (main)` for every installed package alike, while
 * `bpkg list` marks those that came in as dependencies (INSTALLED AS `dependency`, apt list's
 * `automatic`). Their State now says `installed, dependency (main)`, in bpkg list's word; one asked
 * for by name keeps `installed (main)`. Real core under a temp root.
 */
import { afterEach, expect, it } from 'vitest';
import { openManager } from '../helpers/box.js';
import { removeTempDirs, signedRepo, trustingRoot } from '../helpers/pkg.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

afterEach(() => removeTempDirs());

it('marks the packages installed as dependencies on the Packages screen', async () => {
  const { key, repo } = await signedRepo([
    { name: 'libgreet', version: '1.0.0', summary: 'greeting library' },
    { name: 'hello', version: '1.0.0', summary: 'says hello', depends: ['libgreet>=1.0.0'] },
  ]);
  const root = await trustingRoot(key, repo);
  await (await openManager(root)).install(['hello']);

  const app = renderApp(sourcesFor(root));
  await type(app, '2');
  const frame = await frameWith(app, 'Packages (2)');
  expect(frame).toMatch(/libgreet\s+1\.0\.0\s+installed, dependency \(main\)\s+greeting library/);
  expect(frame).toMatch(/hello\s+1\.0\.0\s+installed \(main\)\s+says hello/);
  app.unmount();
});
