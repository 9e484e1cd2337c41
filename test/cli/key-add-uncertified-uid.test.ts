/**
 * KEYS5: the first `bpkg key add` of a key showed, beside the fingerprint it asks the admin to
 * check, every user ID the file carried, and stored them: a user ID the key never certified (no
 * self-signature by it; anyone can append one, or one certified by another key, to a public key)
 * read as the key's name. An attacker's key carrying "Debian Archive Automatic Signing Key" that way
 * was shown as Debian's at the fingerprint prompt, and in `bpkg key list` after. Only the merge of
 * a copy of a trusted key filtered them (ROLLKEY, key-update.ts). Now the prompt, the stored key and
 * every list show only the user IDs the key itself certified, and say that others were left out
 * (gpg --import drops such a user ID too: "skipped user ID"/no valid self-signature). Anything of
 * the key that reaches the terminal is escaped. A key whose every user ID is grafted is refused (no
 * signature it makes verifies), and a key an older blueprint kept with a grafted name, its judgement
 * cached, is judged again (keyring-cache.ts JUDGE). Real OpenPGP.js keys, real GnuPG keys, the real bpkg.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { keyFilesState, readKeyFiles } from '../../src/core/pkg/keyring-cache.js';
import { writeKeyringCache } from '../../src/core/pkg/keyring-cache-write.js';
import { localKeyDir } from '../../src/core/pkg/local-key-path.js';
import { layout } from '../../src/core/system/paths.js';
import { bpkg, gpgKey, makeKey, tempDir } from '../helpers/pkg.js';

const exec = promisify(execFile);
const DEBIAN = 'Debian Archive Automatic Signing Key (12/bookworm) <ftpmaster@debian.org>';

/** `attacker`'s public key with `name` (a User of another key) appended, written to a file. */
function grafted(attacker: openpgp.Key, name: openpgp.Key['users'][number], bare: boolean): string {
  const copy = attacker;
  const user = Object.assign(name, { mainKey: copy });
  // Bare: the user ID packet alone, no signature over it at all.
  if (bare)
    Object.assign(user, { selfCertifications: [], otherCertifications: [], revocationSignatures: [] });
  copy.users.push(user);
  const file = path.join(tempDir('bp-uid-graft-'), 'key.asc');
  writeFileSync(file, copy.armor());
  return file;
}

/** What a first `bpkg key add` shows and keeps of a key file carrying a grafted user ID. */
async function expectLeftOut(file: string, fingerprint: string, own: string) {
  const root = tempDir('bp-uid-root-');
  // The fingerprint prompt (no terminal: it is shown, then refused without --fingerprint).
  const shown = await bpkg(root, ['key', 'add', file]);
  expect(shown.code, shown.stdout + shown.stderr).toBe(2);
  const prompt = shown.stdout + shown.stderr;
  expect(prompt).toContain(fingerprint.toUpperCase().slice(0, 4));
  expect(prompt).toContain(own);
  expect(prompt).not.toContain('Debian');
  expect(prompt).toMatch(/1 other user ID is not shown: the key did not certify it/);

  const added = await bpkg(root, ['--json', 'key', 'add', file, '--fingerprint', fingerprint]);
  expect(added.code, added.stderr).toBe(0);
  const json = JSON.parse(added.stdout) as { userIds: string[]; uncertifiedUserIds?: string[] };
  expect(json.userIds).toEqual([own]);
  expect(json.uncertifiedUserIds).toEqual([DEBIAN]);
  expect(added.stderr).toContain(`"${DEBIAN}", which key`);
  expect(added.stderr).toContain('did not certify: left out');

  const list = await bpkg(root, ['key', 'list']);
  expect(list.stdout).toContain(own);
  expect(list.stdout).not.toContain('Debian');
  const stored = await openpgp.readKey({
    armoredKey: readFileSync(path.join(root, `etc/blueprint/keys/${fingerprint.toLowerCase()}.asc`), 'utf8'),
  });
  expect(stored.getUserIDs()).toEqual([own]);
  return root;
}

describe('first bpkg key add of a key with a user ID it did not certify', () => {
  it("OpenPGP.js: Debian's name certified by another key, then bare: not shown, not kept", async () => {
    for (const bare of [false, true]) {
      const attacker = await makeKey(tempDir('bp-uid-att-'), { name: 'Mallory' });
      const debian = await openpgp.generateKey({
        userIDs: [
          { name: 'Debian Archive Automatic Signing Key (12/bookworm)', email: 'ftpmaster@debian.org' },
        ],
        format: 'object',
      });
      const pub = await openpgp.readKey({ armoredKey: attacker.publicKey });
      const file = grafted(pub, debian.publicKey.users[0]!, bare);
      // OpenPGP.js reads the grafted name as one of the key's (what was shown before).
      expect((await openpgp.readKey({ armoredKey: readFileSync(file, 'utf8') })).getUserIDs()).toContain(
        DEBIAN,
      );
      await expectLeftOut(file, attacker.fingerprint, 'Mallory <test@blueprintos.invalid>');
    }
  });

  it('a key whose every user ID is grafted: refused, nothing added', async () => {
    const attacker = await makeKey(tempDir('bp-uid-none-'), { name: 'Mallory' });
    const debian = await openpgp.generateKey({
      userIDs: [{ name: 'Debian', email: 'ftpmaster@debian.org' }],
      format: 'object',
    });
    const pub = await openpgp.readKey({ armoredKey: attacker.publicKey });
    pub.users = [];
    const file = grafted(pub, debian.publicKey.users[0]!, false);
    const root = tempDir('bp-uid-none-root-');
    const r = await bpkg(root, ['key', 'add', file, '--fingerprint', attacker.fingerprint]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('certified none of its user IDs');
    expect(JSON.parse((await bpkg(root, ['--json', 'key', 'list'])).stdout)).toEqual([]);
  });

  it("GnuPG: keys gpg made, Debian's user ID and its self-signature moved onto the attacker's", async () => {
    const attacker = await gpgKey('ed25519', 'Mallory <mallory@blueprintos.invalid>');
    const debian = await gpgKey('ed25519', DEBIAN);
    const pub = await openpgp.readKey({ armoredKey: attacker.publicKey });
    const name = (await openpgp.readKey({ armoredKey: debian.publicKey })).users[0]!;
    const file = grafted(pub, name, false);
    // gpg itself does not take the grafted user ID as the key's.
    const home = tempDir('bp-uid-gpg-');
    const env = { ...process.env, GNUPGHOME: home };
    await exec('gpg', ['--batch', '--import', file], { env }).catch(() => undefined);
    const { stdout } = await exec('gpg', ['--batch', '--with-colons', '--list-keys'], { env });
    expect(stdout).toContain('Mallory');
    expect(stdout).not.toContain('Debian');
    await expectLeftOut(file, attacker.fingerprint, 'Mallory <mallory@blueprintos.invalid>');
  });

  it('a key an older blueprint kept with the grafted name, its judgement cached: key list shows only its own', async () => {
    const attacker = await makeKey(tempDir('bp-uid-old-'), { name: 'Mallory' });
    const debian = await openpgp.generateKey({
      userIDs: [{ name: DEBIAN.split(' <')[0]!, email: 'ftpmaster@debian.org' }],
      format: 'object',
    });
    const file = grafted(
      await openpgp.readKey({ armoredKey: attacker.publicKey }),
      debian.publicKey.users[0]!,
      false,
    );
    const root = tempDir('bp-uid-old-root-');
    const paths = layout(root);
    const name = `${attacker.fingerprint.toLowerCase()}.asc`;
    const text = readFileSync(file, 'utf8');
    mkdirSync(paths.keysDir, { recursive: true });
    mkdirSync(paths.listsDir, { recursive: true });
    writeFileSync(path.join(paths.keysDir, name), text);
    // The sealed cache as the blueprint before this one wrote it: every user ID the file carried.
    const info = {
      fingerprint: attacker.fingerprint.toLowerCase(),
      userIds: ['Mallory <test@blueprintos.invalid>', DEBIAN],
      created: new Date().toISOString(),
      revoked: false,
    };
    // The judgement cached as before, sealed by this box (lists/.cache-key): the state without `judge`.
    const { judge: _now, ...state } = await keyFilesState(
      await readKeyFiles(paths.keysDir),
      path.join(localKeyDir(paths), 'public.asc'),
    );
    expect(await writeKeyringCache(paths, state, new Date(Date.now() - 60_000), [{ info }])).toBe(true);
    // Read in this process: the seal names the version of the code that wrote it.
    const { PackageManager } = await import('../../src/core/pkg/index.js');
    const listed = await new PackageManager({ root }).keyring.list();
    expect(listed.map((k) => k.userIds)).toEqual([['Mallory <test@blueprintos.invalid>']]);
    const list = await bpkg(root, ['key', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('Mallory <test@blueprintos.invalid>');
    expect(list.stdout).not.toContain('Debian');
  });

  it('a certified user ID with escape sequences and a bidi override: shown escaped at the prompt and in the list', async () => {
    const evil = 'Evil\u001b[2J\u001b]0;pwned\u0007 \u202eyeK';
    const k = await openpgp.generateKey({ userIDs: [{ name: evil }], format: 'armored' });
    const file = path.join(tempDir('bp-uid-esc-'), 'key.asc');
    writeFileSync(file, k.publicKey);
    const fpr = (await openpgp.readKey({ armoredKey: k.publicKey })).getFingerprint();
    const root = tempDir('bp-uid-esc-root-');
    const shown = await bpkg(root, ['key', 'add', file]);
    const add = await bpkg(root, ['key', 'add', file, '--fingerprint', fpr]);
    const list = await bpkg(root, ['key', 'list']);
    expect(add.code, add.stderr).toBe(0);
    for (const out of [shown.stdout + shown.stderr, add.stdout + add.stderr, list.stdout]) {
      expect(out).toContain('Evil\\x1b[2J\\x1b]0;pwned\\x07 \\u{202e}yeK');
      expect(out).not.toMatch(/[\u001b\u0007\u202e]/);
    }
  });
});
