/**
 * `blueprint apply` (and setup) running out of disk part-way: the changes before the one that
 * failed are written and stay (each whole), yet the hint said '… and run the command again;
 * nothing was changed.' (the package manager's words). Now it says what was kept and that the
 * same command again changes only what is left; and it does.
 */
import { existsSync, mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/pkg.js';
import { tmpfsPerFile } from '../helpers/tmpfs.js';

const mountTmpfs = tmpfsPerFile();

describe('apply on a disk that fills part-way', () => {
  it('says what it kept, and the same command again finishes', async () => {
    const work = tempDir('bp-apply-full-');
    const file = path.join(work, 'box.yaml');
    writeFileSync(file, 'hostname: box-01\ntimezone: UTC\n');
    const disk = path.join(work, 'disk');
    mkdirSync(disk);
    mountTmpfs(disk, '1m');
    const root = path.join(disk, 'root');
    mkdirSync(path.join(root, 'var/lib/blueprint'), { recursive: true });
    // Room for a few small files (a page each), not for all of them.
    const st = statfsSync(disk);
    const fill = path.join(disk, 'fill');
    writeFileSync(fill, Buffer.alloc(Number(st.bavail * st.bsize) - 16 * 1024));
    const full = await run(['--root', root, 'apply', '-f', file, '--yes']);
    expect(full.code, full.stderr).toBe(7);
    expect(full.stderr).toMatch(/error: No space left on device while writing/);
    expect(existsSync(path.join(root, 'etc/hostname'))).toBe(true);
    expect(full.stderr).not.toMatch(/nothing was changed/i);
    expect(full.stderr).toMatch(/changes only what is left/);
    rmSync(fill);
    const again = await run(['--root', root, 'apply', '-f', file, '--yes']);
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(path.join(root, 'var/lib/blueprint/setup-done'))).toBe(true);
  }, 60_000);
});
