/**
 * `blueprint setup --answers FILE` and `blueprint apply -f FILE` with a repository key that
 * certified none of its user IDs (every one grafted: no self-signature by the key, anyone can attach
 * one) were refused only when applying, by the package manager adding the key, after the host
 * name, accounts, SSH and firewall files were written ('Stopped part-way': 23 changes made). `bpkg
 * key add` and the console's wizard refuse such a key as it is read (noCertifiedUserIdsError); now the answers and the description are refused when they are
 * checked, with the same words, the field named, before anything is written (--dry-run too),
 * with the exit code of the field's other bad keys (4, as a file that is no OpenPGP key). Real
 * OpenPGP.js and GnuPG keys, the real executable.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { DEBIAN, graftedKey } from '../helpers/grafted-key.js';
import { gpgKey, run, tempDir } from '../helpers/pkg.js';
import { consolePasswordHash, sshPublicKey } from './helpers.js';

const exec = promisify(execFile);

/** `armored` (a public key) with its own user IDs taken off and `grafted`'s first put on instead. */
async function onlyGrafted(armored: string, grafted: string): Promise<string> {
  const key = await openpgp.readKey({ armoredKey: armored });
  const other = await openpgp.readKey({ armoredKey: grafted });
  key.users = [Object.assign(other.users[0]!, { mainKey: key })];
  return key.armor();
}

/** A key file whose every user ID is grafted (OpenPGP.js), beside answers naming a repository. */
async function graftedOnly() {
  const key = await graftedKey({ onlyGrafted: true });
  const work = tempDir('bp-anskey-');
  writeFileSync(path.join(work, 'repo.asc'), key.armored);
  const url = pathToFileURL(path.join(work, 'repo')).href;
  return { work, url, fingerprint: key.fingerprint.toUpperCase() };
}

function answersFile(work: string, url: string, fingerprint: string): string {
  const file = path.join(work, 'answers.yaml');
  writeFileSync(
    file,
    [
      'hostname: box-01',
      `admin: { name: ops, keys: ["${sshPublicKey()}"], passwordHash: "${consolePasswordHash()}" }`,
      `repository: { name: main, url: "${url}", key: repo.asc, fingerprint: "${fingerprint}" }`,
    ].join('\n'),
  );
  return file;
}

/** The refusal, as `bpkg key add` and the wizard word it, with the field named; nothing written. */
function expectRefused(r: { code: number; stdout: string; stderr: string }, field: string, fpr: string) {
  expect(r.code, r.stdout + r.stderr).toBe(4);
  expect(r.stderr).toContain(
    `${field}: Key ${fpr} certified none of its user IDs: no signature it makes verifies`,
  );
  expect(r.stderr).toContain('get the key from the publisher again');
  expect(r.stderr).not.toContain('+ create');
  expect(r.stderr).not.toContain('Debian');
}

describe('a repository key that certified none of its user IDs, in scripted setup', () => {
  it('setup --answers (and --dry-run, and --json): refused when checked, nothing written', async () => {
    const { work, url, fingerprint } = await graftedOnly();
    const file = answersFile(work, url, fingerprint);
    const root = path.join(tempDir('bp-anskey-root-'), 'box');
    expectRefused(await run(['--root', root, 'setup', '--answers', file]), 'repository.key', fingerprint);
    expect(existsSync(root)).toBe(false);
    const dry = await run(['--root', root, 'setup', '--dry-run', '--answers', file]);
    expectRefused(dry, 'repository.key', fingerprint);
    expect(dry.stdout).not.toContain('+ create');
    expect(existsSync(root)).toBe(false);
    const j = await run(['--root', root, '--json', 'setup', '--answers', file]);
    expect(j.code).toBe(4);
    expect(JSON.parse(j.stdout).error).toMatchObject({
      code: 'bad-key',
      message: expect.stringContaining('certified none of its user IDs'),
    });
    expect(existsSync(root)).toBe(false);
  }, 60_000);

  it('setup flags: refused when checked, the key named by its flag, nothing written', async () => {
    const { work, url, fingerprint } = await graftedOnly();
    const root = path.join(tempDir('bp-anskey-root-'), 'box');
    const args = ['--hostname', 'box-01', '--admin', 'ops', '--key', sshPublicKey(), '--ssh'];
    const repo = ['--repo-url', url, '--repo-key', 'repo.asc', '--repo-fingerprint', fingerprint];
    const r = await run(['--root', root, 'setup', ...args, ...repo], { cwd: work });
    expectRefused(r, '--repo-key', fingerprint);
    expect(existsSync(root)).toBe(false);
  }, 60_000);

  it('apply -f (and --dry-run): refused when checked, nothing written', async () => {
    const { work, url, fingerprint } = await graftedOnly();
    const file = path.join(work, 'appliance.yaml');
    writeFileSync(
      file,
      [
        'hostname: edge-01',
        'repositories:',
        `  - { name: main, url: "${url}", key: repo.asc, fingerprint: "${fingerprint}" }`,
      ].join('\n'),
    );
    const root = path.join(tempDir('bp-anskey-root-'), 'box');
    for (const dry of [[], ['--dry-run']]) {
      expectRefused(
        await run(['--root', root, 'apply', ...dry, '-f', file]),
        'repositories.0.key',
        fingerprint,
      );
      expect(existsSync(root)).toBe(false);
    }
  }, 60_000);

  it("GnuPG: a key gpg made, with only another gpg key's user ID and its self-signature", async () => {
    const attacker = await gpgKey('ed25519', 'Mallory <mallory@blueprintos.invalid>');
    const debian = await gpgKey('ed25519', DEBIAN);
    const work = tempDir('bp-anskey-gpg-');
    writeFileSync(path.join(work, 'repo.asc'), await onlyGrafted(attacker.publicKey, debian.publicKey));
    // gpg itself takes no user ID of it as the key's: it imports nothing.
    const env = { ...process.env, GNUPGHOME: tempDir('bp-anskey-gpghome-') };
    await exec('gpg', ['--batch', '--import', path.join(work, 'repo.asc')], { env }).catch(() => undefined);
    const { stdout } = await exec('gpg', ['--batch', '--with-colons', '--list-keys'], { env });
    expect(stdout).not.toContain('Debian');
    const fingerprint = attacker.fingerprint.toUpperCase();
    const file = answersFile(work, pathToFileURL(path.join(work, 'gone')).href, fingerprint);
    const root = path.join(tempDir('bp-anskey-root-'), 'box');
    expectRefused(
      await run(['--root', root, 'setup', '--dry-run', '--answers', file]),
      'repository.key',
      fingerprint,
    );
    expect(existsSync(root)).toBe(false);
    // A key that certified its own user ID beside the grafted one is taken as before (KEYS5).
    const own = await openpgp.readKey({ armoredKey: attacker.publicKey });
    own.users.push(
      Object.assign((await openpgp.readKey({ armoredKey: debian.publicKey })).users[0]!, { mainKey: own }),
    );
    writeFileSync(path.join(work, 'repo.asc'), own.armor());
    const next = await run(['--root', root, 'setup', '--dry-run', '--answers', file]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toContain(`+ create    key        ${fingerprint}`);
  }, 60_000);
});
