/**
 * `blueprint --root TREE status` reads any tree (an image mounted to inspect, another user's folder).
 * Its package list went through the package manager's `installed()`, which first finishes an
 * interrupted transaction: with TREE/var/lib/blueprint/pkg/journal.json there, root rolled it back
 * in the tree, and a change's version was joined to opt/blueprint/NAME unjudged, so a journal naming
 * `../../../../elsewhere` had root delete that folder (`rm -r`) wherever it was, and the tree's
 * journal removed. Now status reads the packages of a tree it may not act on without finishing
 * anything, and a journal whose names are not a package's name and version is damaged (never acted
 * on). Run as root (the tests' user): the tree is given to uid 1000. The real executable.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkg, run, tempDir } from '../helpers/pkg.js';

/** A tree with an interrupted transaction whose change climbs out of opt/blueprint to `victim`. */
function treeWithJournal(victim: string): { root: string; journal: string } {
  const root = path.join(tempDir('bp-tree-journal-'), 'tree');
  const pkg = path.join(root, 'var/lib/blueprint/pkg');
  mkdirSync(path.join(pkg, 'files'), { recursive: true });
  mkdirSync(path.join(root, 'opt/blueprint/x'), { recursive: true });
  writeFileSync(path.join(pkg, 'installed.json'), JSON.stringify({ format: 1, txid: 'b', packages: {} }));
  const journal = path.join(pkg, 'journal.json');
  const climb = `${'../'.repeat(root.split('/').length + 3)}${victim.slice(1)}`;
  writeFileSync(
    journal,
    JSON.stringify({
      txid: 'a',
      op: 'install',
      started: '2026-01-01T00:00:00Z',
      changes: [{ name: 'x', to: climb }],
    }),
  );
  return { root, journal };
}

function victimFolder(): string {
  const victim = path.join(tempDir('bp-victim-'), 'precious');
  mkdirSync(victim);
  writeFileSync(path.join(victim, 'kept'), 'root’s own\n');
  return victim;
}

describe('status of a tree with an interrupted transaction', () => {
  it("another user's tree: nothing is finished there, nothing outside it deleted", async () => {
    const victim = victimFolder();
    const { root, journal } = treeWithJournal(victim);
    expect(spawnSync('chown', ['-R', '1000:1000', root]).status).toBe(0);
    const r = await run(['--root', root, '--json', 'status']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(victim, 'kept')), 'the folder outside the tree was deleted').toBe(true);
    expect(existsSync(journal), "the tree's journal was acted on").toBe(true);
    expect(JSON.parse(r.stdout).packages).toEqual([]);
  });

  it("root's own tree: a journal naming a path, not a version, is damaged, never acted on", async () => {
    const victim = victimFolder();
    const { root, journal } = treeWithJournal(victim);
    const r = await bpkg(root, ['list']);
    expect(existsSync(path.join(victim, 'kept')), 'the folder outside the tree was deleted').toBe(true);
    expect(readFileSync(journal, 'utf8')).toContain('"txid":"a"');
    expect(r.code, r.stdout).toBe(7);
    expect(r.stderr).toContain('journal.json');
  });
});
