/**
 * `blueprint --root TREE status` on another user's tree: each state file below its state folders is
 * read through beneath.ts's descriptors (status-tree-state-files), but the listings and the links
 * that choose which file is read went by name: a module's files folder (opt/blueprint/NAME) a link
 * out had a registration shown as the tree's installed service because the folder it led to held
 * that version (registry.ts's existsSync of the prefix), and its `current` link was read there.
 * Now those reads go through the descriptors too, and what stood in the way is said. The update
 * check said nothing at all when it could not read (`updates: []`, as a box with none): now it says
 * the updates are unknown and why. The real executable; the tree is given to uid 1000 (the tests
 * run as root), so status only reads it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { consumerSpec, image } from '../helpers/client-token-box.js';
import { bpkg, GOOD, lists, run, signedRepo, tempDir, trustingRoot } from '../helpers/pkg.js';

const env = { BLUEPRINT_RAUC_TIMEOUT_MS: '1000' };

async function statusOf(root: string, json = true) {
  expect(spawnSync('chown', ['-R', '-h', '1000:1000', root]).status).toBe(0);
  const r = await run(['--root', root, ...(json ? ['--json'] : []), 'status'], { env });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** A tree whose hostsvc 1.0.0 is registered, its files at opt/blueprint/hostsvc/1.0.0 (`filesAt`: made there). */
function registeredTree(filesAt?: string): string {
  const root = path.join(tempDir('bp-tree-listings-'), 'tree');
  const regs = path.join(root, 'var/lib/blueprint/services/hostsvc');
  mkdirSync(regs, { recursive: true });
  const prefix = path.join(root, 'opt/blueprint/hostsvc/1.0.0');
  writeFileSync(
    path.join(regs, '1.0.0.json'),
    JSON.stringify({
      name: 'hostsvc',
      version: '1.0.0',
      prefix,
      spec: consumerSpec('/run/hostsvc'),
      approvals: { outboundNetwork: false },
      imageId: image.id,
    }),
  );
  mkdirSync(path.join(filesAt ?? path.join(root, 'opt/blueprint/hostsvc'), '1.0.0'), { recursive: true });
  return root;
}

describe("another user's tree: listings and links below its state folders", () => {
  it('its own registration with its own files is listed (the control)', async () => {
    const root = registeredTree();
    symlinkSync('1.0.0', path.join(root, 'opt/blueprint/hostsvc/current'));
    const doc = JSON.parse(await statusOf(root));
    expect(doc.services).not.toHaveProperty('error');
    expect(JSON.stringify(doc.services)).toContain('hostsvc');
    expect(doc).not.toHaveProperty('updatesError');
  });

  it("opt/blueprint/NAME a link out: that folder's version does not make the tree's service", async () => {
    const outside = path.join(tempDir('bp-tree-outside-opt-'), 'hostsvc');
    const root = registeredTree(outside);
    symlinkSync('1.0.0', path.join(outside, 'current'));
    mkdirSync(path.join(root, 'opt/blueprint'), { recursive: true });
    symlinkSync(outside, path.join(root, 'opt/blueprint/hostsvc'));
    const doc = JSON.parse(await statusOf(root));
    expect(doc.services).toMatchObject({
      code: 'not-a-state-file',
      error: `${root}/opt/blueprint/hostsvc is a symbolic link, not the file blueprint writes there: it was not read`,
    });
  });

  it('pkg/lists a link out: the updates are said unknown, with why, not none', async () => {
    const outside = tempDir('bp-tree-outside-lists-');
    const root = path.join(tempDir('bp-tree-listings-'), 'tree');
    mkdirSync(path.join(root, 'var/lib/blueprint/pkg'), { recursive: true });
    mkdirSync(path.join(root, 'etc/blueprint/repos.d'), { recursive: true });
    writeFileSync(
      path.join(root, 'etc/blueprint/repos.d/main.json'),
      JSON.stringify({ name: 'main', url: 'https://repo.example.net/main' }),
    );
    symlinkSync(outside, path.join(root, 'var/lib/blueprint/pkg/lists'));
    const why = `${root}/var/lib/blueprint/pkg/lists is a link: not followed`;
    expect(JSON.parse(await statusOf(root)).updatesError).toBe(why);
  });

  it('pkg/lists/REPO a link out (its packages read): the updates are said unknown, with why', async () => {
    const { key, repo } = await signedRepo([GOOD]);
    const root = await trustingRoot(key, repo);
    expect((await bpkg(root, ['install', 'good'])).code).toBe(0);
    const outside = path.join(tempDir('bp-tree-outside-lists-'), 'main');
    renameSync(lists(root, 'main'), outside);
    symlinkSync(outside, lists(root, 'main'));
    const doc = JSON.parse(await statusOf(root));
    expect(doc.packages).toEqual([{ name: 'good', version: '1.0.0' }]);
    const why = `${lists(root, 'main')} is a symbolic link, not the file blueprint writes there: it was not read`;
    expect(doc.updatesError).toBe(why);
    expect(await statusOf(root, false)).toContain(`packages: good 1.0.0; updates unknown (${why})`);
  });
});
