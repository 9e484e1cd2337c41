/**
 * A key whose user IDs are whatever its holder wrote, each certified by the key itself: what a
 * trust question (bpkg key add, the console wizard's repository step) shows beside the fingerprint.
 * The fingerprint-in-view tests name it so that the names push the fingerprint out of a screen.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { DEBIAN } from './grafted-key.js';
import { tempDir } from './pkg.js';

/** 40 user IDs, Debian's last: the fingerprint printed above them scrolls off a 24-line screen. */
export const FORTY_NAMES_DEBIAN_LAST = [...Array.from({ length: 39 }, (_, i) => `Mirror ${i}`), DEBIAN];

/** One 4,000-character user ID ending in Debian's name. */
export const ONE_LONG_NAME = [`${'Debian Archive '.repeat(266)}${DEBIAN}`];

/** A key certifying `names` itself (each a user ID of its own), armored into `file`, and its fingerprint. */
export async function selfNamedKey(
  names: readonly string[],
  file: string,
): Promise<{ file: string; fingerprint: string }> {
  const { publicKey } = await openpgp.generateKey({
    userIDs: names.map((name) => ({ name })),
    type: 'ecc',
    curve: 'ed25519Legacy',
    format: 'armored',
  });
  writeFileSync(file, publicKey);
  return { file, fingerprint: (await openpgp.readKey({ armoredKey: publicKey })).getFingerprint() };
}

/** A key certifying `names` itself, with Debian's name grafted on by another key: its armored file. */
export async function selfNamedKeyDebianGrafted(names: readonly string[]): Promise<string> {
  const { file } = await selfNamedKey(names, path.join(tempDir('bp-many-ids-'), 'repo.asc'));
  const key = await openpgp.readKey({ armoredKey: readFileSync(file, 'utf8') });
  const debian = await openpgp.generateKey({ userIDs: [{ name: DEBIAN }], format: 'object' });
  key.users.push(Object.assign(debian.publicKey.users[0]!, { mainKey: key }));
  writeFileSync(file, key.armor());
  return file;
}
