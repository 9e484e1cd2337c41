/**
 * `bpkg search WORD` on a fresh box (no repository configured) said 'No matching packages (run
 * `bpkg update` to refresh the indexes).', and `bpkg update` then fails: 'No repositories
 * configured' (exit 3). The empty answer now says the step missing (add a repository, then update),
 * as install and info do (301db42). With a repository, the answer is as before. Exit 0 either way
 * (as apt search); --json is the empty list. The real executable, also as bpkg.
 */
import { describe, expect, it } from 'vitest';
import { bpkg, signedRepo, tempDir, trustingRoot } from '../helpers/pkg.js';

/** The commands it names carry the box's --root (test/cli/pkg-message-root). */
const ADD = (root: string) =>
  `no repository is configured. Add one with \`bpkg --root ${root} repo add NAME URL\`, then run \`bpkg --root ${root} update\`.`;

describe('bpkg search on a box with no repository', () => {
  it.each([[['search', 'embed']], [['search']]])('%j says to add a repository first', async (argv) => {
    const root = tempDir('bp-root-');
    const r = await bpkg(root, argv);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(ADD(root));
    expect(r.stdout).not.toContain('refresh the indexes');
    const json = await bpkg(root, ['--json', ...argv]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([]);
  });

  it('a box with a repository: no hint to add one', async () => {
    const { key, repo } = await signedRepo([{ name: 'hello-data', version: '1.0.0' }]);
    const root = await trustingRoot(key, repo);
    const r = await bpkg(root, ['search', 'embed']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('No matching packages');
    expect(r.stdout).not.toContain('repo add');
  });
});
