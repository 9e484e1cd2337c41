/**
 * KEYS5: the dashboard's "Trust this key and add repository?" page shows only the user IDs the key
 * certified itself (keys.inspect drops the others), but said nothing of those it left out: an admin
 * comparing names with the publisher's had no sign that the file carried more. Now it says how many,
 * never quoting them, as `bpkg key add`'s prompt does. Real box, real OpenPGP, the real server.
 */
import { expect, it } from 'vitest';
import { graftedKey } from '../helpers/grafted-key.js';
import { makeKey, signedRepo, tempDir } from '../helpers/pkg.js';
import { boxDashboard } from './box-dashboard.js';

const box = boxDashboard([{ name: 'app', version: '1.0.0' }], 'app', 'bp-web-repo-uncertified-');

it('the key-trust page counts the user IDs the key did not certify, naming none', async () => {
  const k = await graftedKey();
  const { repo } = await signedRepo([{ name: 'tool', version: '1.0.0' }]);
  const ask = await box.post('/keys/repos/add', { name: 'extra', url: repo, key: k.armored });
  expect(ask.status).toBe(200);
  const ids = ask.body.match(/data-testid="user-ids">([\s\S]*?)<\/dd>/)?.[1] ?? '';
  expect(ids).toContain('Mallory');
  expect(ask.body).not.toContain('Debian');
  expect(ids).toContain('1 other user ID is not shown: the key did not certify it');
  // A key with none left out says nothing of it.
  const plain = await makeKey(tempDir('bp-web-plain-key-'), { name: 'Plain' });
  const fine = await box.post('/keys/repos/add', { name: 'extra', url: repo, key: plain.publicKey });
  expect(fine.status).toBe(200);
  expect(fine.body).not.toContain('not shown');
});
