/**
 * installed.json's package names and versions are joined to paths: opt/blueprint/NAME/VERSION is a
 * hook's prefix and the text of NAME/current, files/NAME_VERSION.json a file list. The transaction
 * record's are judged (test/security/status-tree-journal); the database's were not, so an entry
 * whose kept version was `../../…/elsewhere` had `bpkg rollback` run the hooks on a folder outside
 * the box and point the package's `current` link there. Now a database whose names are not a
 * package's name and a version's folder name is damaged (exit 7, the file named), never acted on.
 * The real executable, on root's own tree (the tests' user).
 */
import { existsSync, mkdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkg, tempDir } from '../helpers/pkg.js';

const manifest = { name: 'x', version: '1.0.0', arch: 'all', summary: 'x', depends: [] };
const entry = {
  name: 'x',
  version: '1.0.0',
  arch: 'all',
  summary: 'x',
  depends: [],
  origin: 'file',
  signer: '',
  installed: '2026-01-01T00:00:00Z',
};

/** A box with x 1.0.0 installed; `packages` adds entries (or replaces x's) in its installed.json. */
function box(packages: (climb: string) => Record<string, unknown>) {
  const victim = path.join(tempDir('bp-installed-victim-'), 'precious');
  mkdirSync(victim);
  writeFileSync(path.join(victim, 'kept'), 'root’s own\n');
  const root = path.join(tempDir('bp-installed-names-'), 'tree');
  const pkg = path.join(root, 'var/lib/blueprint/pkg');
  mkdirSync(path.join(pkg, 'files'), { recursive: true });
  const x = path.join(root, 'opt/blueprint/x');
  mkdirSync(path.join(x, '1.0.0'), { recursive: true });
  symlinkSync('1.0.0', path.join(x, 'current'));
  const list = JSON.stringify({ name: 'x', version: '1.0.0', manifest, files: [] });
  writeFileSync(path.join(pkg, 'files/x_1.0.0.json'), list);
  // From opt/blueprint/x (or pkg/files) up to / and down to the victim: files/x_CLIMB.json is VICTIM.json.
  const climb = `${'../'.repeat(root.split('/').length + 8)}${victim.slice(1)}`;
  writeFileSync(`${victim}.json`, list);
  writeFileSync(
    path.join(pkg, 'installed.json'),
    JSON.stringify({ format: 1, txid: 'a', packages: { x: entry, ...packages(climb) } }),
  );
  return { root, victim, current: path.join(x, 'current') };
}

describe("installed.json's names and versions", () => {
  it('a kept version that climbs out of opt/blueprint: damaged, no hook or link reaches outside', async () => {
    const { root, victim, current } = box((climb) => ({ x: { ...entry, previous: climb } }));
    const r = await bpkg(root, ['rollback', 'x']);
    expect(readlinkSync(current), "x's current link was pointed outside the box").toBe('1.0.0');
    expect(existsSync(path.join(victim, 'kept'))).toBe(true);
    expect(r.code, r.stdout + r.stderr).toBe(7);
    expect(r.stderr).toContain('installed.json');
  });

  it('a package name with / in it: damaged, named, for every command that reads the database', async () => {
    const { root } = box(() => ({ '../../x': { ...entry, name: '../../x' } }));
    for (const args of [['list'], ['verify']]) {
      const r = await bpkg(root, args);
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(7);
      expect(r.stderr).toContain('installed.json');
    }
  });
});
