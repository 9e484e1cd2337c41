/**
 * The Keys screen listed fingerprints and signers only: trust is scoped (a key signs only the
 * repositories bound to it), but the console did not say which, so a key bound to nothing and a key
 * that signs the box's only repository looked the same; and the screen has no actions of its own
 * without saying where keys are added or removed. It now shows each key's repositories ("none")
 * and names the commands.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { openManager } from '../helpers/box.js';
import { buildRepo, makeKey, makeSource } from '../helpers/pkg.js';
import { rootsPerTest } from '../helpers/roots.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

const t = rootsPerTest('tuikeys');

it('shows the repositories each key may sign, and where keys are added and removed', async () => {
  const fleet = await makeKey(path.join(t.work, 'fleet'), { name: 'Fleet Repo' });
  const spare = await makeKey(path.join(t.work, 'spare'), { name: 'Spare Key' });
  const repoDir = path.join(t.work, 'repo');
  await buildRepo(repoDir, fleet, [
    makeSource(path.join(t.work, 'src'), { name: 'hello-module', version: '1.0.0' }),
  ]);
  const pm = await openManager(t.root);
  await pm.keyring.add(fleet.publicKey, fleet.fingerprint);
  await pm.keyring.add(spare.publicKey, spare.fingerprint);
  await pm.repos.add('main', pathToFileURL(repoDir).href, { keys: [fleet.fingerprint] });

  const app = renderApp(sourcesFor(t.root));
  await type(app, '4');
  const frame = await frameWith(app, 'Trusted signing keys (2)');
  const line = (who: string) => frame.split('\n').find((l) => l.includes(who)) ?? '';
  expect(line('Fleet Repo')).toMatch(/\bmain\b/);
  expect(line('Spare Key')).toMatch(/\bnone\b/);
  expect(line('Spare Key')).not.toMatch(/\bmain\b/);
  expect(frame).toContain('bpkg key add');
  expect(frame).toContain('bpkg key remove');
  app.unmount();
});
