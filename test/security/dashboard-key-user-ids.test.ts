/**
 * REVIEW11 (found sound): a trusted key's user IDs on the dashboard's Keys page. A key's holder
 * certifies any text it likes as its user ID: U+202E (right-to-left override) would show a name
 * reversed up to its cell's end, and C1 controls would reach the page. Every interpolation of the
 * page templates goes through escapeHtml, which first makes controls visible as the CLI shows them
 * (escapeText), so the page shows them as text: `\u{202e}`, `\x9b`.
 */
import * as openpgp from 'openpgp';
import { expect, it } from 'vitest';
import { openManager } from '../helpers/box.js';
import { boxDashboard } from '../web/box-dashboard.js';

const box = boxDashboard([{ name: 'app', version: '1.0.0' }], 'app', 'bp-web-key-uids-');

it("the Keys page shows a trusted key's bidi and C1 controls as visible text", async () => {
  const { publicKey } = await openpgp.generateKey({
    userIDs: [{ name: 'gro.naibed@retsampt\u202e <x@example.invalid>' }, { name: 'CSI\u009b2J' }],
    type: 'ecc',
    curve: 'ed25519Legacy',
    format: 'armored',
  });
  const key = await openpgp.readKey({ armoredKey: publicKey });
  const pm = await openManager(box.root);
  await pm.keyring.add(publicKey, key.getFingerprint());
  const page = await box.get('/keys');
  expect(page.status).toBe(200);
  expect(page.body).toContain(key.getFingerprint().toUpperCase());
  expect(page.body).not.toMatch(/[\u0080-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
  expect(page.body).toContain('\\u{202e}');
  expect(page.body).toContain('\\x9b2J');
});
