/**
 * A folder writable by its group counted as "ours alone" whenever the group was the process's
 * own (core/system/folder-writers.ts ownGroupIsFine), on the guess that it is a private user group
 * (umask 002). Where the publisher's primary group is shared (a team's `dev` group with umask 002
 * to work together, or `users` on distributions that put everyone in it), every other member could
 * change a folder judged safe: rename the publisher's private key (0600, unreadable to them) to
 * `index.json.asc` in a repository folder, and `repo publish` uploaded it for them to read; the same
 * judgement guards `repo build`'s output and the folders secrets are written in. Before the fix,
 * the first test's publish succeeded and the key was among the uploads.
 */
import { chmodSync, chownSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { publishRepository } from '../../src/core/pkg/publish-remote.js';
import { accountFiles, otherWriter } from '../../src/core/system/folder-writers.js';
import { builtRepo, serveRegistry, takesEverything } from '../helpers/publish-registry.js';
import { tempDir } from '../setup/temp-registry.js';

const SECRET = '-----BEGIN PGP PRIVATE KEY BLOCK-----';
const me = process.geteuid?.() ?? 0;
const myGid = process.getegid?.() ?? 0;
const uploads: Buffer[] = [];
let registry: Awaited<ReturnType<typeof serveRegistry>>;
const real = { ...accountFiles };

beforeAll(async () => {
  registry = await serveRegistry(takesEverything(uploads));
});
afterAll(() => registry?.close());
afterEach(() => Object.assign(accountFiles, real));

/**
 * The box's accounts as `passwd` and `group` say (our own line first in each), looked up as
 * `nsswitch` says (files only unless given), with userdb drop-ins `userdb` (none unless given).
 */
function accounts(
  passwd: string[],
  group: string[],
  nsswitch = 'passwd: files\ngroup: files\n',
  userdb: Record<string, string> = {},
) {
  const dir = tempDir('accounts-');
  writeFileSync(path.join(dir, 'passwd'), `me:x:${me}:${myGid}:me:/home/me:/bin/sh\n${passwd.join('\n')}\n`);
  writeFileSync(path.join(dir, 'group'), `${group.join('\n')}\n`);
  writeFileSync(path.join(dir, 'nsswitch.conf'), nsswitch);
  mkdirSync(path.join(dir, 'userdb'));
  for (const [name, text] of Object.entries(userdb)) writeFileSync(path.join(dir, 'userdb', name), text);
  Object.assign(accountFiles, {
    passwd: path.join(dir, 'passwd'),
    group: path.join(dir, 'group'),
    nsswitch: path.join(dir, 'nsswitch.conf'),
    userdb: [path.join(dir, 'userdb')],
  });
}

/** A built repository, writable by our own group, with the publisher's key left in it (0600). */
async function repo() {
  const { dir, key } = await builtRepo();
  writeFileSync(path.join(dir, 'signing-key.asc'), `${SECRET}\n${key.privateKey}`, { mode: 0o600 });
  chownSync(dir, me, myGid);
  chmodSync(dir, 0o770);
  return dir;
}
const publish = (dir: string) =>
  publishRepository(dir, `oci://${registry.host}/blueprint/modules`).catch((e: unknown) => e);
const leaked = () => uploads.some((b) => b.includes(SECRET));

describe('attack: a folder writable by our own group, which others are in', () => {
  it('another member of the group renames the key to index.json.asc: refused, nothing sent', async () => {
    accounts(['alice:x:1501:1501::/home/alice:/bin/sh'], [`team:x:${myGid}:alice`]);
    const dir = await repo();
    // What alice did (the folder is her group's to write): the key renamed to a name that goes up.
    renameSync(path.join(dir, 'index.json.asc'), path.join(dir, 'index.json.asc.real'));
    renameSync(path.join(dir, 'signing-key.asc'), path.join(dir, 'index.json.asc'));
    uploads.length = 0;
    const err = await publish(dir);
    expect(leaked()).toBe(false);
    expect(uploads).toEqual([]);
    expect(err).toMatchObject({ code: 'shared-folder', message: expect.stringContaining(`group ${myGid}`) });
  });

  it.each([
    [
      'another account has it as its primary group',
      [`bob:x:1502:${myGid}::/home/bob:/bin/sh`],
      [`team:x:${myGid}:`],
    ],
    ['the group is not in the group file (a directory service)', [], ['other:x:4242:']],
    ['the group file has a NIS compat line', [], [`team:x:${myGid}:`, '+:::']],
    // What glibc reads and the judgement did not (X, eleventh session): each made a shared group private.
    [
      'a second group line with our gid (groupadd -o) lists another member',
      [],
      [`me:x:${myGid}:`, `team:x:${myGid}:alice`],
    ],
    ['the passwd file has a NIS compat line (accounts from elsewhere)', ['+::::::'], [`me:x:${myGid}:`]],
    [
      "another account's primary group is written with a space before it (glibc's strtoul reads it)",
      [`bob:x:1502: ${myGid}::/home/bob:/bin/sh`],
      [`me:x:${myGid}:`],
    ],
    [
      'groups come from a directory service too (nsswitch: files sss)',
      [],
      [`me:x:${myGid}:`],
      'passwd: files\ngroup: files sss\n',
    ],
    [
      'accounts come from LDAP too (nsswitch: passwd files ldap)',
      [],
      [`me:x:${myGid}:`],
      'passwd: files ldap\ngroup: files\n',
    ],
    [
      'supplementary groups come from elsewhere (nsswitch: initgroups)',
      [],
      [`me:x:${myGid}:`],
      'passwd: files\ngroup: files\ninitgroups: files winbind\n',
    ],
    [
      'a userdb drop-in makes another account a member (nsswitch: systemd)',
      [],
      [`me:x:${myGid}:`],
      'passwd: files systemd\ngroup: files systemd\n',
      { 'alice:me.membership': '' },
    ],
  ])(
    'a shared or unknown group: %s',
    (_why, passwd, group, nsswitch?: string, userdb?: Record<string, string>) => {
      accounts(passwd, group, nsswitch, userdb);
      expect(
        otherWriter({ uid: me, gid: myGid, mode: 0o40770 }, { stickyIsFine: false, ownGroupIsFine: true }),
      ).toBe(`writable by group ${myGid}`);
    },
  );

  it.each([
    ['files only', 'passwd: files\ngroup: files\n'],
    [
      'files and systemd without userdb drop-ins (Debian and Ubuntu)',
      'passwd: files systemd\ngroup: files systemd\n',
    ],
    ['compat, with no NIS line', 'passwd: compat\ngroup: compat [SUCCESS=merge] files\n'],
  ])('a private group looked up through %s is ours', (_why, nsswitch) => {
    accounts(['alice:x:1501:1501::/home/alice:/bin/sh'], [`me:x:${myGid}:`, 'alice:x:1501:'], nsswitch);
    expect(
      otherWriter({ uid: me, gid: myGid, mode: 0o40770 }, { stickyIsFine: false, ownGroupIsFine: true }),
    ).toBeUndefined();
  });

  it('a private group (no other member, no other account in it) is still ours: published', async () => {
    accounts(['alice:x:1501:1501::/home/alice:/bin/sh'], [`me:x:${myGid}:`, 'alice:x:1501:']);
    uploads.length = 0;
    expect(await publish(await repo())).toMatchObject({ files: expect.any(Array) });
    expect(leaked()).toBe(false);
  });

  it('a member added later is seen by a process that judged the group before', () => {
    accounts([], [`me:x:${myGid}:`]);
    const folder = { uid: me, gid: myGid, mode: 0o40770 };
    const allow = { stickyIsFine: false, ownGroupIsFine: true };
    expect(otherWriter(folder, allow)).toBeUndefined();
    writeFileSync(accountFiles.group, `me:x:${myGid}:alice\n`);
    expect(otherWriter(folder, allow)).toBe(`writable by group ${myGid}`);
  });
});
