import {
  chmodSync,
  lstatSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { writeFileAtomic } from '../../src/core/system/fs.js';
import { tempDir } from '../helpers/pkg.js';

/**
 * writeFileAtomic writes a sibling temporary file and renames it over the target. Its name was
 * `.NAME.PID.MILLISECONDS.tmp`, opened with 'w' (following a link, reusing a file already there),
 * and it is what setup uses for the disk encryption's recovery key (encryption.recoveryKeyFile of
 * the answers file or appliance.yaml: any folder the admin names). In a folder another user can
 * write, that user plants links at the few names the next moments give (the pid is known, the
 * clock too): root then wrote the recovery key into the other user's file. The temporary file is
 * now made new (O_EXCL, which never follows a link), under another name when one is taken.
 */

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the temporary file of an atomic write', () => {
  it('a link planted at its name is not written through', async () => {
    const shared = tempDir('bp-atomic-');
    chmodSync(shared, 0o777); // a folder the other user may write (no sticky bit)
    const theirs = path.join(tempDir('bp-atomic-theirs-'), 'loot');
    writeFileSync(theirs, '', { mode: 0o666 });
    const now = 1_800_000_000_000;
    vi.spyOn(Date, 'now').mockReturnValue(now);
    symlinkSync(theirs, path.join(shared, `.recovery-key.txt.${process.pid}.${now}.tmp`));
    const file = path.join(shared, 'recovery-key.txt');
    await writeFileAtomic(file, 'RECOVERY-KEY-1234\n', 0o600);
    expect(readFileSync(theirs, 'utf8')).toBe('');
    expect(lstatSync(file).isFile()).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('RECOVERY-KEY-1234\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // The planted link is left as it was; no temporary file of ours is left.
    expect(readdirSync(shared).sort()).toEqual([
      `.recovery-key.txt.${process.pid}.${now}.tmp`,
      'recovery-key.txt',
    ]);
  });

  it('a file planted at its name is neither reused nor kept', async () => {
    const dir = tempDir('bp-atomic-');
    const now = 1_800_000_000_001;
    vi.spyOn(Date, 'now').mockReturnValue(now);
    const planted = path.join(dir, `.key.${process.pid}.${now}.tmp`);
    writeFileSync(planted, 'planted', { mode: 0o666 });
    await writeFileAtomic(path.join(dir, 'key'), 'secret', 0o600);
    expect(readFileSync(planted, 'utf8')).toBe('planted');
    expect(statSync(path.join(dir, 'key')).mode & 0o777).toBe(0o600);
  });
});
