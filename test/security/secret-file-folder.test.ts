import { readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSecretFile } from '../../src/core/system/safe-write.js';
import { openFolder, perTestRoot, safeFolders, theirFolder } from '../helpers/owned-folders.js';

/**
 * writeSecretFile: where setup's recovery key goes (encryption.recoveryKeyFile). A root 0600 file
 * in a folder another user can change is unreadable to them but theirs to delete (the only copy of
 * the key) or swap for a key of their choosing. So the folder, and every folder above it once the
 * admin's links are resolved, must be one only root can change; a sticky folder (/tmp) is.
 * (The setup path itself: recovery-key-folder.test.ts beside this file.)
 */
const root = perTestRoot('secret-file');

const refused = (file: string) =>
  expect(writeSecretFile(file, 'SECRET\n')).rejects.toMatchObject({ code: 'shared-folder' });

describe.skipIf(process.getuid?.() !== 0)('writeSecretFile', () => {
  it('refuses a folder another user owns, and one under it', async () => {
    const theirs = await theirFolder(root(), 0o755, 'sub');
    await refused(path.join(theirs, 'key.txt'));
    // sub is root's, but they may rename it away and put their own in its place.
    await refused(path.join(theirs, 'sub', 'key.txt'));
    expect(await readdir(theirs)).toEqual(['sub']);
    expect(await readdir(path.join(theirs, 'sub'))).toEqual([]);
  });

  it('refuses such a folder reached through a link, and a missing folder under it', async () => {
    const theirs = await theirFolder(root(), 0o700);
    await symlink(theirs, path.join(root(), 'keys'));
    await refused(path.join(root(), 'keys', 'key.txt'));
    await refused(path.join(root(), 'keys', 'new', 'key.txt'));
    expect(await readdir(theirs)).toEqual([]);
  });

  it('refuses a root folder others may write without the sticky bit', async () => {
    await refused(path.join(await openFolder(root()), 'key.txt'));
  });

  it("writes in root's folders and sticky ones: root's, 0600, over what was there", async () => {
    for (const where of await safeFolders(root())) {
      const file = path.join(where, 'key.txt');
      await writeFile(file, 'planted by someone\n', { mode: 0o666 });
      await writeSecretFile(file, 'SECRET\n');
      expect(await readFile(file, 'utf8')).toBe('SECRET\n');
      const st = await stat(file);
      expect([st.uid, st.mode & 0o777, st.nlink]).toEqual([0, 0o600, 1]);
    }
    await writeSecretFile(path.join(root(), 'made', 'deeper', 'key.txt'), 'SECRET\n');
    expect((await stat(path.join(root(), 'made'))).mode & 0o777).toBe(0o700);
  });
});
