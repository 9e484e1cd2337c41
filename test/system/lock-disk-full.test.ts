/**
 * A lock taken on a full disk (the package lock of `bpkg install`, setup's): its file is written
 * whole under another name before it is linked at the lock's, and that write failing (ENOSPC) was
 * reported as a bug ('error: ENOSPC: no space left on device, write', exit 1) and left the
 * temporary `lock.PID.HEX.new` behind. Now it is the storage error (exit 7) with its hint, and
 * nothing is left.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/core/system/lock.js';
import { tempDir } from '../helpers/pkg.js';
import { tmpfsPerFile } from '../helpers/tmpfs.js';

const mountTmpfs = tmpfsPerFile();

describe('a lock on a full disk', () => {
  it('is refused as a full disk, its temporary file removed', async () => {
    const dir = path.join(tempDir('bp-lock-full-'), 'fs');
    mkdirSync(dir);
    mountTmpfs(dir, '64k');
    mkdirSync(path.join(dir, 'pkg'));
    // Filled to the last block: files can still be made, nothing written into them.
    try {
      writeFileSync(path.join(dir, 'fill'), Buffer.alloc(1024 * 1024));
    } catch {}
    const err = await acquireLock(path.join(dir, 'pkg/lock'), 'package operation').catch((e) => e);
    expect(err).toMatchObject({ code: 'disk-full', exitCode: 7 });
    expect(err.message).toMatch(/No space left on device while taking the package operation lock/);
    expect(readdirSync(path.join(dir, 'pkg'))).toEqual([]);
  });
});
