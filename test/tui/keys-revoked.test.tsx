/**
 * The Keys screen put " [REVOKED]" after a key's user IDs, in the last column, which is cut to the
 * terminal's width: a key as `blueprint repo keygen` makes it ("BlueprintOS repository
 * <repo@blueprintos.invalid>") showed as "BlueprintOS repository <repo@blu…" at 110 columns and
 * 80, so a revoked key read as a trusted one that signs its repositories (`bpkg key list` says
 * [REVOKED]). The state is now said where no width cuts it, and a revoked key signs nothing.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { openManager } from '../helpers/box.js';
import { makeKey } from '../helpers/pkg.js';
import { rootsPerTest } from '../helpers/roots.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

const t = rootsPerTest('tuikeysrevoked');

it('says a revoked key is revoked, whatever the length of its user ID', async () => {
  const old = await makeKey(path.join(t.work, 'old'), {
    name: 'BlueprintOS repository long enough to be cut',
  });
  const next = await makeKey(path.join(t.work, 'new'), { name: 'Next' });
  const pm = await openManager(t.root);
  await pm.keyring.add(old.publicKey, old.fingerprint);
  await pm.keyring.add(next.publicKey, next.fingerprint);
  await pm.repos.add('main', pathToFileURL(path.join(t.work, 'repo')).href, {
    keys: [old.fingerprint, next.fingerprint],
  });
  await pm.keyring.add(old.revocationCertificate);

  const app = renderApp(sourcesFor(t.root));
  await type(app, '4');
  const frame = await frameWith(app, 'Trusted signing keys');
  const line = (fpr: string) =>
    frame.split('\n').find((l) => l.replace(/\s/g, '').includes(fpr.replace(/\s/g, '').toUpperCase())) ?? '';
  expect(line(old.fingerprint)).toContain('REVOKED');
  expect(line(old.fingerprint)).not.toMatch(/\bmain\b/);
  expect(line(next.fingerprint)).not.toContain('REVOKED');
  expect(line(next.fingerprint)).toMatch(/\bmain\b/);
  app.unmount();
});
