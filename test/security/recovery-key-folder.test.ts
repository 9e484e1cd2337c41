import { readdir, readFile, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { BoxContext } from '../../src/app/context.js';
import { encryptData } from '../../src/app/encryption.js';
import { openFolder, perTestRoot, safeFolders, theirFolder } from '../helpers/owned-folders.js';

/**
 * encryption.recoveryKeyFile (answers file) names where setup writes the data partition's recovery
 * key instead of showing it. It was written into whatever folder the path reached: one another
 * local user owns (a folder they made in /tmp before setup, their home, a link of theirs on the
 * way). The file was root's and 0600, but the folder was theirs: they could delete it (the only
 * copy; the key was never shown) or swap in a key of their choosing, and the box's data was lost
 * at its next firmware change (TPM PCR 7). Such a folder is refused; the key is then shown once.
 */
const KEY = 'cbdefghi-jklnrtuv-cbdefghi-jklnrtuv-cbdefghi-jklnrtuv-cbdefghi-jklnrtuv';
vi.mock('../../src/core/crypt/index.js', () => ({
  DATA_NAME: 'data',
  encryptableDevice: async () => '/dev/fake-data',
  tpmPresent: async () => true,
  readEncryptionState: async () => ({ encrypted: false }),
  encryptDevice: async () => ({ recoveryKey: KEY, uuid: 'u', crypttabLine: 'data UUID=u none luks' }),
}));

const root = perTestRoot('recovery-key');

const ctx = { root: '/' } as BoxContext;
const encrypt = (recoveryKeyFile: string) => encryptData(ctx, { mode: 'tpm', recoveryKeyFile });

describe.skipIf(process.getuid?.() !== 0)('the recovery key file', () => {
  it('in a folder another user owns: not written there, the key is shown instead', async () => {
    const theirs = await theirFolder(root(), 0o755);
    const out = await encrypt(path.join(theirs, 'recovery-key.txt'));
    expect(out.recoveryKey).toBe(KEY);
    expect(out.writeError).toMatch(/theirs/);
    expect(await readdir(theirs)).toEqual([]);
  });

  it('through a link on the way into such a folder: not written there either', async () => {
    const theirs = await theirFolder(root(), 0o700);
    await symlink(theirs, path.join(root(), 'keys'));
    const out = await encrypt(path.join(root(), 'keys', 'recovery-key.txt'));
    expect(out.recoveryKey).toBe(KEY);
    expect(out.writeError).toBeTruthy();
    expect(await readdir(theirs)).toEqual([]);
  });

  it('in a root folder others may write (0777, no sticky bit): refused', async () => {
    const open = await openFolder(root());
    const out = await encrypt(path.join(open, 'recovery-key.txt'));
    expect(out.recoveryKey).toBe(KEY);
    expect(await readdir(open)).toEqual([]);
  });

  it("in root's own folder, or a sticky one like /tmp: written, root's, 0600, not shown", async () => {
    for (const where of await safeFolders(root())) {
      const file = path.join(where, 'recovery-key.txt');
      const out = await encrypt(file);
      expect(out).toMatchObject({ recoveryKeyFile: file });
      expect(out.recoveryKey).toBeUndefined();
      expect(await readFile(file, 'utf8')).toBe(`${KEY}\n`);
      const st = await stat(file);
      expect([st.uid, st.mode & 0o777]).toEqual([0, 0o600]);
    }
  });
});
