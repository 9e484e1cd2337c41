/**
 * REVIEW11: the sweeps of private copies a gone process left (`.local-PID-UUID.bpkg` in the package
 * cache, `.bundle-PID-UUID.raucb` beside a system update: private-copy.ts pruneDeadCopies; a model
 * import's PID-UUID work folders: import.ts pruneStale, with the same fs.rm) remove names that match
 * their pattern. Found sound, pinned: a link at such a name is removed as the link; what it points
 * at (a file, a folder, a folder through a link inside a work folder) stays. The folders they sweep
 * are root's alone on the image; the image clears the same names at boot (tmpfiles.d).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pruneDeadCopies } from '../../src/core/pkg/private-copy.js';
import { tempDir } from '../helpers/pkg.js';

/** A pid no process has (over any pid_max). */
const GONE = 2_147_483_646;
const LOCAL_COPY = /^\.local-([0-9]+)-[0-9a-f-]{36}\.bpkg$/;

describe('sweeping what a gone process left follows no link', () => {
  it('a copy-named link to a file elsewhere: the link goes, the file stays', async () => {
    const cache = tempDir('bp-sweep-cache-');
    const elsewhere = path.join(tempDir('bp-sweep-else-'), 'precious');
    writeFileSync(elsewhere, 'keep');
    const link = path.join(cache, `.local-${GONE}-${randomUUID()}.bpkg`);
    symlinkSync(elsewhere, link);
    const dead = path.join(cache, `.local-${GONE}-${randomUUID()}.bpkg`);
    writeFileSync(dead, 'left by a killed install');
    await pruneDeadCopies(cache, LOCAL_COPY);
    expect(existsSync(dead)).toBe(false);
    expect(() => lstatSync(link)).toThrow(/ENOENT/);
    expect(readFileSync(elsewhere, 'utf8')).toBe('keep');
  });

  it("a work folder's removal (fs.rm, recursive) removes a link in it or at its name, not the folder it names", async () => {
    const base = tempDir('bp-sweep-work-');
    const outside = tempDir('bp-sweep-out-');
    mkdirSync(path.join(outside, 'sub'));
    writeFileSync(path.join(outside, 'sub', 'f'), 'keep');
    const atName = path.join(base, `${GONE}-${randomUUID()}`);
    symlinkSync(outside, atName);
    const work = path.join(base, `${GONE}-${randomUUID()}`);
    mkdirSync(work);
    symlinkSync(path.join(outside, 'sub'), path.join(work, 'payload'));
    for (const p of [atName, work]) await rm(p, { recursive: true, force: true });
    expect([existsSync(work), existsSync(atName)]).toEqual([false, false]);
    expect(readFileSync(path.join(outside, 'sub', 'f'), 'utf8')).toBe('keep');
  });
});
