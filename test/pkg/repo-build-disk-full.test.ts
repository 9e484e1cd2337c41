/**
 * `blueprint repo build` into a folder whose disk fills while it writes the signed index: the
 * index's temporary `.index.json.new` (and its `.asc`) stayed in the repository folder, which is
 * copied as it is to where boxes read it; with no room at all it said 'error: ENOSPC: no space left
 * on device, write', a bug (exit 1), and a full disk elsewhere had the package manager's hint
 * (`bpkg clean`). Now a failed write removes them, and the disk is left with 0 to 32 KiB free in
 * turn: each build either succeeds or is refused as a full disk (exit 7) with a publisher's hint.
 */
import { cpSync, mkdirSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeKey, repoRoot, run, tempDir } from '../helpers/pkg.js';
import { tmpfsPerFile } from '../helpers/tmpfs.js';

const mountTmpfs = tmpfsPerFile();

describe('repo build on a disk that fills', () => {
  it('leaves no temporary index in the repository', async () => {
    const work = tempDir('bp-build-full-');
    const key = await makeKey(path.join(work, 'key'));
    const mod = path.join(repoRoot, 'modules/hello-data');
    const built = path.join(work, 'built');
    const first = await run(['repo', 'build', mod, '--repo', built, '--key', key.privateFile]);
    expect(first.code, first.stderr).toBe(0);
    const disk = path.join(work, 'disk');
    mkdirSync(disk);
    mountTmpfs(disk, '1m');
    const codes: number[] = [];
    for (let free = 0; free <= 32; free += 4) {
      rmSync(path.join(disk, 'repo'), { recursive: true, force: true });
      rmSync(path.join(disk, 'fill'), { force: true });
      cpSync(built, path.join(disk, 'repo'), { recursive: true });
      const st = statfsSync(disk);
      writeFileSync(
        path.join(disk, 'fill'),
        Buffer.alloc(Math.max(0, Number(st.bavail * st.bsize) - free * 1024)),
      );
      const r = await run([
        'repo',
        'build',
        mod,
        '--repo',
        path.join(disk, 'repo'),
        '--key',
        key.privateFile,
      ]);
      codes.push(r.code);
      expect([0, 7], r.stderr).toContain(r.code);
      if (r.code === 7) {
        expect(r.stderr).toMatch(/still the one before/);
        expect(r.stderr).not.toMatch(/bpkg clean/);
      }
      const left = (readdirSync(path.join(disk, 'repo'), { recursive: true }) as string[]).filter((f) =>
        /\.new(\.asc)?$|\.tmp$/.test(f),
      );
      expect(left, `${free} KiB free: ${r.stderr}`).toEqual([]);
    }
    expect(codes).toContain(7);
  }, 120_000);
});
