/**
 * An update that finds every index unchanged writes only meta.json's `fetched` time (shown as
 * "Updated" by `bpkg repo list` and the dashboard). A power cut after it must leave meta.json whole,
 * the old one or the new one, never an empty or torn file that loses the repository's signer: its
 * bytes are synced before the rename. The folder is not synced after the rename: all a power cut can
 * then lose is the new time, and the old meta.json it leaves is as valid as before (the index it
 * names is the one on disk). Read from the program's own system calls (strace -y, as power-cut.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { trustingRoot, twoPackageRepo } from '../helpers/pkg.js';
import { hasStrace, synced, trace } from '../helpers/power-cut.js';

describe.skipIf(!hasStrace)('bpkg update finding the index unchanged', () => {
  it("syncs meta.json's bytes before its rename, and not its folder", async () => {
    const { key, repo } = await twoPackageRepo();
    const root = await trustingRoot(key, repo);
    const folder = path.join(root, 'var/lib/blueprint/pkg/lists/main');
    const meta = path.join(folder, 'meta.json');
    const before = JSON.parse(readFileSync(meta, 'utf8')) as Record<string, string>;
    const run = trace(['--root', root, '--json', 'pkg', 'update']);
    expect(JSON.parse(run.stdout)).toMatchObject([{ repo: 'main', changed: false }]);
    const { lines } = run;
    const commit = lines.findIndex((l) => /\brename/.test(l) && l.includes(`"${meta}"`));
    expect(commit, 'the rename onto meta.json').toBeGreaterThan(0);
    const tmp = /rename\w*\([^"]*"([^"]+)"/.exec(lines[commit]!)?.[1];
    expect(tmp && path.dirname(tmp)).toBe(folder);
    expect(synced(lines.slice(0, commit)).has(tmp!), `${tmp} synced before the rename`).toBe(true);
    expect(synced(lines).has(folder), `${folder} synced`).toBe(false);
    const after = JSON.parse(readFileSync(meta, 'utf8')) as Record<string, string>;
    expect(after).toEqual({ ...before, fetched: after.fetched });
    expect(after.fetched).not.toBe(before.fetched);
  });
});
