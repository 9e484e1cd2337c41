/**
 * `blueprint --root TREE status` on another user's tree (the console's Dashboard and the web
 * overview read it the same way): its state files are read through beneath.ts's descriptors
 * (state-file.ts readStatesBeneath), but three reads still went by name. repo-config.ts listed
 * etc/blueprint/repos.d by name, so the folder swapped for a link after status judged the way
 * (linkOnTheWay) listed the folder it led to: an empty one answered "no repositories" for a tree
 * that has some. upgradable-fast.ts's quick "no upgrades" read installed.json and the repositories
 * by name (var/lib/blueprint/pkg a link out answered "none" from another box's files). registry.ts's listing of every
 * registered version is reached only by a package removal, which no front end runs on such a tree.
 * Now the listing goes through the descriptors (a link there refused, named), the quick answer is
 * not given on such a tree (the package manager answers, through the descriptors), and the removal
 * is refused before anything is listed. The swap itself cannot be timed in a test: the units are
 * called on a tree already in the state they meet after it. The tests run as root; the trees the
 * real executable reads are given to uid 1000.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { readRepoConfigs } from '../../src/core/pkg/repo-config.js';
import { noUpgrades } from '../../src/core/pkg/upgradable-fast.js';
import { atBeneath } from '../../src/core/system/beneath.js';
import { layout } from '../../src/core/system/paths.js';
import { readStatesBeneath } from '../../src/core/system/state-file.js';
import { run, tempDir } from '../helpers/pkg.js';

const env = { CONTAINER_HOST: 'unix:///nonexistent/podman.sock', BLUEPRINT_RAUC_TIMEOUT_MS: '1000' };
const OUTSIDE_URL = 'https://repo.outside.example.net/main';

/** A folder outside the tree holding one repository configuration (`withRepo`), else none. */
function outsideRepos(withRepo: boolean): string {
  const dir = tempDir('bp-outside-repos-');
  if (withRepo)
    writeFileSync(path.join(dir, 'main.json'), JSON.stringify({ name: 'main', url: OUTSIDE_URL }));
  return dir;
}

/** A tree whose etc/blueprint/repos.d is a link to `target`. */
function treeWithReposLink(target: string): string {
  const root = path.join(tempDir('bp-tree-repos-'), 'tree');
  mkdirSync(path.join(root, 'etc/blueprint'), { recursive: true });
  mkdirSync(path.join(root, 'var/lib/blueprint/pkg'), { recursive: true });
  symlinkSync(target, path.join(root, 'etc/blueprint/repos.d'));
  return root;
}

const give = (root: string) => expect(spawnSync('chown', ['-R', '-h', '1000:1000', root]).status).toBe(0);

describe("another user's tree: its repositories and the quick update answer", () => {
  it('repos.d a link out holding a repository: status lists none of it and says the part is unread, why', async () => {
    const root = treeWithReposLink(outsideRepos(true));
    give(root);
    const r = await run(['--root', root, '--json', 'status'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('outside.example.net');
    const doc = JSON.parse(r.stdout);
    const why = `${root}/etc/blueprint/repos.d is a link: not followed`;
    expect(doc).toMatchObject({ packagesError: why, updatesError: why, updates: [] });
  });

  it('repos.d swapped for a link out after the way was judged: its listing is refused, named, not another folder', async () => {
    const root = treeWithReposLink(outsideRepos(false));
    readStatesBeneath(root, atBeneath);
    // An empty folder there answered "no repositories" for the tree.
    await expect(readRepoConfigs(layout(root))).rejects.toMatchObject({
      code: 'not-a-state-file',
      message: expect.stringContaining(`${root}/etc/blueprint/repos.d is a symbolic link`),
    });
    const full = treeWithReposLink(outsideRepos(true));
    readStatesBeneath(full, atBeneath);
    await expect(readRepoConfigs(layout(full))).rejects.toMatchObject({ code: 'not-a-state-file' });
  });

  it('its own repos.d is listed through the descriptors (the control)', async () => {
    const root = path.join(tempDir('bp-tree-repos-'), 'tree');
    mkdirSync(path.join(root, 'etc/blueprint/repos.d'), { recursive: true });
    writeFileSync(
      path.join(root, 'etc/blueprint/repos.d/own.json'),
      JSON.stringify({ name: 'own', url: OUTSIDE_URL }),
    );
    readStatesBeneath(root, atBeneath);
    expect(await readRepoConfigs(layout(root))).toEqual([{ name: 'own', url: OUTSIDE_URL }]);
  });

  it("the quick 'no upgrades' is not given from files by name: var/lib/blueprint/pkg a link out", async () => {
    const outside = tempDir('bp-outside-pkg-');
    writeFileSync(
      path.join(outside, 'installed.json'),
      JSON.stringify({ format: 1, txid: 'x', packages: {} }),
    );
    const root = path.join(tempDir('bp-tree-quick-'), 'tree');
    mkdirSync(path.join(root, 'var/lib/blueprint'), { recursive: true });
    mkdirSync(path.join(root, 'etc/blueprint/repos.d'), { recursive: true });
    symlinkSync(outside, path.join(root, 'var/lib/blueprint/pkg'));
    // The box's own way (a root read by name) answers from the folder it leads to: the control.
    expect(await noUpgrades(layout(root), new Date())).toEqual([]);
    readStatesBeneath(root, atBeneath);
    expect(await noUpgrades(layout(root), new Date())).toBeUndefined();
  });

  it('a package removal (which lists every registered version) is refused on such a tree, nothing removed', async () => {
    const root = path.join(tempDir('bp-tree-remove-'), 'tree');
    const regs = path.join(root, 'var/lib/blueprint/services/hostsvc');
    mkdirSync(regs, { recursive: true });
    writeFileSync(path.join(regs, '1.0.0.json'), '{}');
    mkdirSync(path.join(root, 'var/lib/blueprint/pkg'), { recursive: true });
    give(root);
    const r = await run(['--root', root, 'pkg', 'remove', 'hostsvc'], { env });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain(`another user can change ${root}`);
    await expect(openBox(root).packages.remove(['hostsvc'])).rejects.toMatchObject({ code: 'unsafe-root' });
    expect(existsSync(path.join(regs, '1.0.0.json'))).toBe(true);
  });
});
