import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { bpkg, signedRepo, trustingRoot } from '../helpers/pkg.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

/**
 * The console's removal (Packages, x, y) says what it did, in `bpkg remove`'s words: it showed
 * only "Done.", never which package went nor that the module's data was kept (and how to delete
 * it), or that its running service was stopped.
 */
it("the Packages screen's remove says bpkg remove's line", async () => {
  const { key, repo } = await signedRepo([{ name: 'greeter', version: '1.0.0', summary: 'hi' }]);
  const root = await trustingRoot(key, repo);
  expect((await bpkg(root, ['install', '--yes', 'greeter'])).code).toBe(0);
  const data = path.join(root, 'var/lib/blueprint/modules/greeter');
  await mkdir(data, { recursive: true });
  const app = renderApp(sourcesFor(root));
  await type(app, '2');
  await frameWith(app, /greeter\s+1\.0\.0\s+installed/);
  await type(app, 'x');
  await frameWith(app, 'Confirm: remove greeter?');
  await type(app, 'y');
  const frame = await frameWith(app, 'Done.');
  // Wrapped at the screen's edge: compared without the spaces.
  expect(frame.replace(/\s+/g, '')).toContain(
    `removed greeter 1.0.0; its data kept in ${data} (\`bpkg remove --purge greeter\` deletes it)`.replace(
      /\s+/g,
      '',
    ),
  );
  app.unmount();
});
