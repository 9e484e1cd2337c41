import { chmod, chown, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeSecretFile } from '../../src/core/system/safe-write.js';
import { tempRoot } from '../setup/helpers.js';

/**
 * writeSecretFile: where setup's recovery key goes (encryption.recoveryKeyFile). A root 0600 file
 * in a folder another user can change is unreadable to them but theirs to delete (the only copy of
 * the key) or swap for a key of their choosing. So the folder, and every folder above it once the
 * admin's links are resolved, must be one only root can change; a sticky folder (/tmp) is.
 * (The setup path itself: /work/notes/S-handoff/recovery-key-folder.test.ts, for the lead.)
 */
const NOBODY = 65534;
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ root: dir, cleanup } = await tempRoot('secret-file'));
  await chmod(dir, 0o755);
});
afterEach(() => cleanup());

const refused = (file: string) =>
  expect(writeSecretFile(file, 'SECRET\n')).rejects.toMatchObject({ code: 'shared-folder' });

describe.skipIf(process.getuid?.() !== 0)('writeSecretFile', () => {
  it('refuses a folder another user owns, and one under it', async () => {
    const theirs = path.join(dir, 'theirs');
    await mkdir(path.join(theirs, 'sub'), { recursive: true, mode: 0o755 });
    await chown(theirs, NOBODY, NOBODY);
    await refused(path.join(theirs, 'key.txt'));
    // sub is root's, but they may rename it away and put their own in its place.
    await refused(path.join(theirs, 'sub', 'key.txt'));
    expect(await readdir(theirs)).toEqual(['sub']);
    expect(await readdir(path.join(theirs, 'sub'))).toEqual([]);
  });

  it('refuses such a folder reached through a link, and a missing folder under it', async () => {
    const theirs = path.join(dir, 'theirs');
    await mkdir(theirs, { mode: 0o700 });
    await chown(theirs, NOBODY, NOBODY);
    await symlink(theirs, path.join(dir, 'keys'));
    await refused(path.join(dir, 'keys', 'key.txt'));
    await refused(path.join(dir, 'keys', 'new', 'key.txt'));
    expect(await readdir(theirs)).toEqual([]);
  });

  it('refuses a root folder others may write without the sticky bit', async () => {
    await mkdir(path.join(dir, 'open'));
    await chmod(path.join(dir, 'open'), 0o777);
    await refused(path.join(dir, 'open', 'key.txt'));
  });

  it("writes in root's folders and sticky ones: root's, 0600, over what was there", async () => {
    for (const [name, mode] of [
      ['root-only', 0o700],
      ['sticky', 0o1777],
    ] as const) {
      const where = path.join(dir, name);
      await mkdir(where);
      await chmod(where, mode);
      const file = path.join(where, 'key.txt');
      await writeFile(file, 'planted by someone\n', { mode: 0o666 });
      await writeSecretFile(file, 'SECRET\n');
      expect(await readFile(file, 'utf8')).toBe('SECRET\n');
      const st = await stat(file);
      expect([st.uid, st.mode & 0o777, st.nlink]).toEqual([0, 0o600, 1]);
    }
    await writeSecretFile(path.join(dir, 'made', 'deeper', 'key.txt'), 'SECRET\n');
    expect((await stat(path.join(dir, 'made'))).mode & 0o777).toBe(0o700);
  });
});
