/**
 * i on a package installed as a dependency asked 'Confirm: install libgreet?' and, after y, said
 * only 'libgreet is already installed', while the install marked it as installed by the admin
 * (autoremove keeps it from then on). The question now says it would be marked, and the outcome
 * says it was, in the CLI's words (src/present). Real core under a temp root.
 */
import { afterEach, expect, it } from 'vitest';
import { bpkg, removeTempDirs, signedRepo, trustingRoot } from '../helpers/pkg.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

afterEach(() => removeTempDirs());

const DOWN = '\x1b[B';

it('installing a dependency by name says it is now marked as installed by you', async () => {
  const { key, repo } = await signedRepo([
    { name: 'libgreet', version: '1.2.0', summary: 'greeting library' },
    { name: 'hello', version: '1.0.0', summary: 'says hello', depends: ['libgreet>=1.0.0'] },
  ]);
  const root = await trustingRoot(key, repo);
  expect((await bpkg(root, ['install', '--yes', 'hello'])).code).toBe(0);
  const app = renderApp(sourcesFor(root));
  try {
    await type(app, '2');
    await frameWith(app, /libgreet\s+1\.2\.0\s+installed, dependency/);
    await type(app, DOWN, 'i');
    const asked = await frameWith(app, 'Confirm: install libgreet?');
    expect(asked).toContain('it would be marked as installed by you');
    await type(app, 'y');
    const done = await frameWith(app, 'autoremove keeps it');
    expect(done).toContain('libgreet 1.2.0 is installed already; marked as installed by you');
    expect(done).not.toContain('libgreet is already installed');
    const list = JSON.parse((await bpkg(root, ['list', '--json'])).stdout) as Array<{
      name: string;
      auto?: boolean;
    }>;
    expect(list.find((p) => p.name === 'libgreet')?.auto).toBeUndefined();
  } finally {
    app.unmount();
  }
});
