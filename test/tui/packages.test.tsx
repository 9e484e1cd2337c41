import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { openManager } from '../helpers/box.js';
import { buildRepo, makeKey, makeSource } from '../helpers/pkg.js';
import { rootsPerTest } from '../helpers/roots.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

const t = rootsPerTest('tuipkg');

it('installs a package from the Packages screen after showing who signed it', async () => {
  const key = await makeKey(path.join(t.work, 'key'), { name: 'Fleet Repo' });
  const repoDir = path.join(t.work, 'repo');
  await buildRepo(repoDir, key, [
    makeSource(path.join(t.work, 'src'), { name: 'hello-module', version: '1.2.0', summary: 'says hello' }),
  ]);
  const pm = await openManager(t.root);
  await pm.keyring.add(key.publicKey, key.fingerprint);
  await pm.repos.add('main', pathToFileURL(repoDir).href);
  await pm.update();

  const app = renderApp(sourcesFor(t.root));
  await type(app, '2');
  expect(await frameWith(app, 'Packages (1)')).toMatch(/hello-module\s+1\.2\.0\s+available\s+says hello/);
  await type(app, 'i');
  const confirm = await frameWith(app, 'Confirm: install hello-module?');
  expect(confirm).toContain('Fleet Repo');
  expect(confirm.replace(/\s/g, '')).toContain(key.fingerprint.toUpperCase());
  await type(app, 'y');
  await frameWith(app, 'Done.');
  expect((await pm.installed()).map((p) => `${p.name} ${p.version}`)).toEqual(['hello-module 1.2.0']);
  await type(app, 'x'); // any key closes the result
  expect(await frameWith(app, /hello-module\s+1\.2\.0\s+installed/)).toBeTruthy();
  await type(app, '4');
  expect((await frameWith(app, 'Trusted signing keys (1)')).replace(/\s/g, '')).toContain(
    key.fingerprint.toUpperCase(),
  );
  app.unmount();
});
