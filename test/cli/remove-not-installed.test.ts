import { describe, expect, it } from 'vitest';
import { bpkgBox } from '../helpers/bpkg-box.js';
import { bpkg, signedRepo } from '../helpers/pkg.js';

/**
 * `bpkg remove A B` with B not installed refused the whole command ('B is not installed', exit 3)
 * and A stayed: a script or an Ansible `state: absent` task could not remove what it wanted gone
 * without first asking what is there, and running it twice failed. As apt ("Package 'B' is not
 * installed, so not removed"): A is removed, B gets a note on stderr (--json: `notInstalled`),
 * exit 0. A name that is no package name is still bad usage (exit 2).
 */
describe('bpkg remove of a package that is not installed', () => {
  it('removes the others, notes it, exits 0; again: exit 0 with the note', async () => {
    const { key, repo } = await signedRepo([
      { name: 'good', version: '1.0.0' },
      { name: 'other', version: '1.0.0' },
    ]);
    const root = await bpkgBox('bp-rm-', key, repo);
    expect((await bpkg(root, ['install', 'good', 'other', '--yes'])).code).toBe(0);

    const r = await bpkg(root, ['remove', 'good', 'nosuch', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('removed good 1.0.0');
    expect(r.stderr).toContain("Package 'nosuch' is not installed, so not removed");
    const left = JSON.parse((await bpkg(root, ['list', '--json'])).stdout);
    expect(left.map((p: { name: string }) => p.name)).toEqual(['other']);

    // Again: nothing to remove, said so, still exit 0 (idempotent); --json lists it.
    const again = await bpkg(root, ['--json', 'remove', 'good']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ changes: [], notInstalled: ['good'], unneeded: [] });
    expect(again.stderr).toContain("Package 'good' is not installed, so not removed");

    // A name that cannot be a package: bad usage, and nothing removed.
    const bad = await bpkg(root, ['remove', 'other', '../x', '--yes']);
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toContain('../x');
    const still = JSON.parse((await bpkg(root, ['list', '--json'])).stdout);
    expect(still.map((p: { name: string }) => p.name)).toEqual(['other']);
  });
});
