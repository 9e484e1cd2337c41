import { execFileSync } from 'node:child_process';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BoxContext } from '../../src/app/context.js';
import { checkEncryption } from '../../src/app/encryption.js';
import { runCliHere } from '../helpers/cli-here.js';
import { mountNamespaceUsable } from '../helpers/mount-namespace.js';
import { openFolder, perTestRoot, safeFolders, theirFolder } from '../helpers/owned-folders.js';
import { consolePasswordHash, sshPublicKey } from '../setup/helpers.js';

/**
 * A headless setup's answers name encryption.recoveryKeyFile: the data partition's recovery key is
 * written there, never shown. Whether that file could be written was first found out after the
 * partition was encrypted: the docs' own example, /root/recovery-key.txt, is on the read-only slot
 * of the A/B image (the only image that encrypts), so following them the key's only copy went to
 * setup's output (on a headless box: a file the consoles point at, or nobody), and a folder another
 * user could change was refused only then. One that could be told in advance is now refused before
 * anything is encrypted (exit 2, nothing written): a read-only file system, a folder (or a folder
 * above it) another user can change, something that is not a folder on the way, and a memory file
 * system (/run: gone at the restart that follows an encrypting first boot, before anyone moved it).
 */
const KEY = 'cbdefghi-jklnrtuv-cbdefghi-jklnrtuv-cbdefghi-jklnrtuv-cbdefghi-jklnrtuv';
const state = vi.hoisted(() => ({ encrypted: 0, applied: 0 }));
vi.mock('../../src/core/crypt/index.js', () => ({
  DATA_NAME: 'data',
  encryptableDevice: async () => '/dev/fake-data',
  tpmPresent: async () => true,
  readEncryptionState: async () => ({ encrypted: false }),
  encryptDevice: async () => {
    state.encrypted++;
    return { recoveryKey: KEY, uuid: 'u', crypttabLine: 'data UUID=u none luks' };
  },
}));
// This box's own root is never planned or written: a setup that got past the check applies nothing.
vi.mock('../../src/core/setup/index.js', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  planSetup: async () => ({ root: '/', changes: [], live: [], blocked: [], egress: [] }),
  applyPlan: async () => {
    state.applied++;
    return { changed: [], commands: [], restartNeeded: [] };
  },
}));

const root = perTestRoot('recovery-key-file');
const mounts: string[] = [];
beforeEach(() => Object.assign(state, { encrypted: 0, applied: 0 }));
afterEach(() => {
  for (const m of mounts.splice(0).reverse()) execFileSync('umount', [m]);
});

/** `dir/name`, a 0700 root folder on disk, bound read-only onto itself. */
async function readOnly(name: string): Promise<string> {
  const at = path.join(root(), name);
  await mkdir(at, { mode: 0o700 });
  execFileSync('mount', ['--bind', at, at]);
  mounts.push(at);
  execFileSync('mount', ['-o', 'remount,bind,ro', at]);
  return at;
}

/** `dir/name`, a 0700 tmpfs (as /run is). */
async function memory(name: string): Promise<string> {
  const at = path.join(root(), name);
  await mkdir(at, { mode: 0o700 });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'mode=0700,size=1m', 'tmpfs', at]);
  mounts.push(at);
  return at;
}

/** `blueprint setup --answers FILE [...extra]` with encryption tpm and this recoveryKeyFile. */
async function setup(recoveryKeyFile: string, extra: string[] = []) {
  const answers = path.join(root(), 'answers.json');
  await writeFile(
    answers,
    JSON.stringify({
      hostname: 'box-01',
      admin: { name: 'admin', keys: [sshPublicKey('ops@laptop')], passwordHash: consolePasswordHash() },
      encryption: { mode: 'tpm', recoveryKeyFile },
    }),
  );
  return runCliHere(['--json', 'setup', '--answers', answers, ...extra]);
}

/** Refused with exit 2 before the partition was encrypted; the error names the file. */
async function refused(file: string, why: RegExp) {
  for (const extra of [[], ['--unattended']]) {
    const r = await setup(file, extra);
    expect(r.code, r.out + r.err).toBe(2);
    const error = JSON.parse(r.out).error;
    expect(error.message).toContain(file);
    expect(error.message).toMatch(why);
    expect(error.hint).toContain('/var/lib/blueprint/recovery-key.txt');
    expect(r.out + r.err).not.toContain(KEY);
    expect([state.encrypted, state.applied]).toEqual([0, 0]);
  }
}

describe.skipIf(!mountNamespaceUsable)(
  'setup --answers: a recovery key file that cannot be kept is refused before encrypting',
  () => {
    it('on a read-only file system (/root on the A/B image)', async () => {
      const ro = await readOnly('slot-root');
      await refused(path.join(ro, 'recovery-key.txt'), /read-only/);
      // A folder that would have to be made there, and a link from a writable place into it.
      await refused(path.join(ro, 'keys', 'recovery-key.txt'), /read-only/);
      await symlink(ro, path.join(root(), 'keys'));
      await refused(path.join(root(), 'keys', 'recovery-key.txt'), /read-only/);
      expect(await readdir(ro)).toEqual([]);
    });

    it('in a folder another user owns, or under one others may write', async () => {
      const theirs = await theirFolder(root(), 0o755);
      await refused(path.join(theirs, 'recovery-key.txt'), /owned by uid 65534/);
      const open = await openFolder(root());
      await mkdir(path.join(open, 'sub'), { mode: 0o700 });
      await refused(path.join(open, 'sub', 'recovery-key.txt'), /writable by all users/);
      expect(await readdir(theirs)).toEqual([]);
    });

    it('below a file, not a folder', async () => {
      await writeFile(path.join(root(), 'plain'), 'x');
      await refused(path.join(root(), 'plain', 'recovery-key.txt'), /not a folder/);
    });

    it('on a memory file system (as /run): gone at the restart after setup', async () => {
      const run = await memory('run');
      await refused(path.join(run, 'recovery-key.txt'), /memory/);
      expect(await readdir(run)).toEqual([]);
    });

    it('a root-only folder on disk, made or not yet made, or a sticky one: taken, and the key written there', async () => {
      const ctx = { root: '/' } as BoxContext;
      const [own, sticky] = await safeFolders(root());
      for (const file of [
        path.join(own!, 'recovery-key.txt'),
        path.join(own!, 'new', 'recovery-key.txt'),
        path.join(sticky!, 'recovery-key.txt'),
      ])
        await expect(checkEncryption(ctx, { mode: 'tpm', recoveryKeyFile: file })).resolves.toBeTruthy();
      // Judged only: nothing made.
      expect(await readdir(own!)).toEqual([]);
      const r = await setup(path.join(own!, 'new', 'recovery-key.txt'));
      expect(r.code, r.out + r.err).toBe(0);
      expect(JSON.parse(r.out).encryption).toMatchObject({
        recoveryKeyFile: path.join(own!, 'new', 'recovery-key.txt'),
      });
      expect([state.encrypted, state.applied]).toEqual([1, 1]);
    });
  },
);
