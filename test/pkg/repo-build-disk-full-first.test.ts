/**
 * A first `repo build` (no index.json in the folder yet) into a disk that is full: its hint said
 * "its index.json is still the one before", of an index that never was (QA6's walk). It says there
 * is no index yet, so boxes see no repository there; a rebuild keeps the words of
 * repo-build-disk-full. A 1 MiB tmpfs filled to its last block, the real executable.
 */
import { mkdirSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeKey, repoRoot, run, tempDir } from '../helpers/pkg.js';
import { tmpfsPerFile } from '../helpers/tmpfs.js';

const mountTmpfs = tmpfsPerFile();

describe('a first repo build on a full disk', () => {
  it('says no index was written yet, not that the one before is kept', async () => {
    const work = tempDir('bp-build-full-first-');
    const key = await makeKey(path.join(work, 'key'));
    const disk = path.join(work, 'disk');
    mkdirSync(disk);
    mountTmpfs(disk, '1m');
    const st = statfsSync(disk);
    writeFileSync(path.join(disk, 'fill'), Buffer.alloc(Number(st.bavail * st.bsize)));
    const mod = path.join(repoRoot, 'modules/hello-data');
    const r = await run(['repo', 'build', mod, '--repo', path.join(disk, 'repo'), '--key', key.privateFile]);
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).not.toMatch(/still the one before/);
    expect(r.stderr).toMatch(/^hint: .*no index\.json yet/m);
  }, 60_000);
});
