import { chmod, chown, mkdir, readdir, readFile, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BoxContext } from '../../src/app/context.js';
import { encryptData } from '../../src/app/encryption.js';
import { tempRoot } from '../setup/helpers.js';

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

const NOBODY = 65534;
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ root: dir, cleanup } = await tempRoot('recovery-key'));
  await chmod(dir, 0o755);
});
afterEach(() => cleanup());

const ctx = { root: '/' } as BoxContext;
const encrypt = (recoveryKeyFile: string) => encryptData(ctx, { mode: 'tpm', recoveryKeyFile });

describe.skipIf(process.getuid?.() !== 0)('the recovery key file', () => {
  it('in a folder another user owns: not written there, the key is shown instead', async () => {
    const theirs = path.join(dir, 'theirs');
    await mkdir(theirs, { mode: 0o755 });
    await chown(theirs, NOBODY, NOBODY);
    const out = await encrypt(path.join(theirs, 'recovery-key.txt'));
    expect(out.recoveryKey).toBe(KEY);
    expect(out.writeError).toMatch(/theirs/);
    expect(await readdir(theirs)).toEqual([]);
  });

  it('through a link on the way into such a folder: not written there either', async () => {
    const theirs = path.join(dir, 'theirs');
    await mkdir(theirs, { mode: 0o700 });
    await chown(theirs, NOBODY, NOBODY);
    await symlink(theirs, path.join(dir, 'keys'));
    const out = await encrypt(path.join(dir, 'keys', 'recovery-key.txt'));
    expect(out.recoveryKey).toBe(KEY);
    expect(out.writeError).toBeTruthy();
    expect(await readdir(theirs)).toEqual([]);
  });

  it('in a root folder others may write (0777, no sticky bit): refused', async () => {
    const open = path.join(dir, 'open');
    await mkdir(open);
    await chmod(open, 0o777);
    const out = await encrypt(path.join(open, 'recovery-key.txt'));
    expect(out.recoveryKey).toBe(KEY);
    expect(await readdir(open)).toEqual([]);
  });

  it("in root's own folder, or a sticky one like /tmp: written, root's, 0600, not shown", async () => {
    for (const [name, mode] of [
      ['root-only', 0o700],
      ['sticky', 0o1777],
    ] as const) {
      const where = path.join(dir, name);
      await mkdir(where);
      await chmod(where, mode);
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
