import * as openpgp from 'openpgp';
import { makeKey, tempDir } from './pkg.js';

export const DEBIAN = 'Debian Archive Automatic Signing Key (12/bookworm) <ftpmaster@debian.org>';

/**
 * An attacker's key (`Mallory`) carrying Debian's user ID, certified by Debian's own (other) key
 * and not by the attacker's: what KEYS5 found a trust question showed as the key's name. Its
 * public key armoured, the attacker's fingerprint and its own (certified) user ID. `onlyGrafted`:
 * the attacker's own user ID removed, so the key certified none of those it carries (refused).
 */
export async function graftedKey({
  onlyGrafted = false,
} = {}): Promise<{ armored: string; fingerprint: string; own: string }> {
  const attacker = await makeKey(tempDir('bp-graft-att-'), { name: 'Mallory' });
  const debian = await openpgp.generateKey({
    userIDs: [{ name: 'Debian Archive Automatic Signing Key (12/bookworm)', email: 'ftpmaster@debian.org' }],
    format: 'object',
  });
  const pub = await openpgp.readKey({ armoredKey: attacker.publicKey });
  if (onlyGrafted) pub.users = [];
  pub.users.push(Object.assign(debian.publicKey.users[0]!, { mainKey: pub }));
  return {
    armored: pub.armor(),
    fingerprint: attacker.fingerprint,
    own: 'Mallory <test@blueprintos.invalid>',
  };
}
