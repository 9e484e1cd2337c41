/**
 * `bpkg --root TREE …` on a tree someone else can change (an image mounted to inspect, another
 * user's folder): root running `bpkg --root /home/mallory/tree list` read TREE's installed.json
 * through the link mallory put there (a host file's packages listed as the tree's) and waited for
 * good on a FIFO at that name. As git's "dubious ownership": the package and service commands act
 * only on a tree that no user but root (or the one running them) can change: its folder, the
 * folders above it, and its state folders; `status` (read-bounded) and `gpu` still read any tree.
 * Run as root (the tests' user): the tree is given to uid 1000. The real executable, each run with
 * a deadline (killed after 20 s: it hung).
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blueprintExe, tempDir } from '../helpers/pkg.js';

const MALLORY = 1000;

const run = (args: string[]) =>
  spawnSync(blueprintExe, args, {
    encoding: 'utf8',
    timeout: 20_000,
    killSignal: 'SIGKILL',
    env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent', BLUEPRINT_RAUC_TIMEOUT_MS: '1000' },
  });

/** A host file in the shape of a package database: its one package's name shows a read through a link. */
function hostFile(): string {
  const file = path.join(tempDir('bp-host-'), 'secret.json');
  const pkg = { version: '1.0.0', arch: 'all', summary: 'host', depends: [], origin: 'file', signer: 'x' };
  const packages = { hostsecret: { name: 'hostsecret', installed: '2026-01-01T00:00:00Z', ...pkg } };
  writeFileSync(file, JSON.stringify({ format: 1, txid: 'x', packages }));
  return file;
}

/** A tree with its package state folder; `plant` puts what is at installed.json's name. */
function tree(plant?: (db: string) => void): string {
  const root = path.join(tempDir('bp-tree-'), 'tree');
  const pkg = path.join(root, 'var/lib/blueprint/pkg');
  mkdirSync(pkg, { recursive: true });
  plant?.(path.join(pkg, 'installed.json'));
  return root;
}

const linkToHost = (db: string) => symlinkSync(hostFile(), db);
const fifo = (db: string) => expect(spawnSync('mkfifo', [db]).status).toBe(0);

/** chown -R (no link followed: lchown) to `uid`. */
function giveAway(dir: string, uid = MALLORY) {
  expect(spawnSync('chown', ['-R', '-h', `${uid}:${uid}`, dir]).status).toBe(0);
}

function expectRefusedAsUnsafe(r: ReturnType<typeof run>, at: string) {
  expect(r.signal, 'killed after 20 s: it hung').toBeNull();
  expect(r.stdout).not.toContain('hostsecret');
  expect(r.stderr).not.toContain('hostsecret');
  expect(r.status, r.stderr).toBe(4);
  expect(r.stderr).toContain(at);
  expect(r.stderr).toMatch(/another user can change/);
  expect(r.stderr).toMatch(/hint: .*status/);
}

describe('--root TREE that another user can change is refused by the package and service commands', () => {
  it('a link at installed.json in a tree uid 1000 owns: bpkg list refuses, lists nothing of the host file', () => {
    const root = tree(linkToHost);
    giveAway(root);
    expectRefusedAsUnsafe(run(['--root', root, 'pkg', 'list']), root);
  });

  it('a FIFO at installed.json in a tree uid 1000 owns: bpkg list refuses at once', () => {
    const root = tree(fifo);
    giveAway(root);
    expectRefusedAsUnsafe(run(['--root', root, 'pkg', 'list']), root);
  });

  it('the quick paths (bpkg search, bpkg update) and service list refuse it too', () => {
    const root = tree(linkToHost);
    giveAway(root);
    for (const args of [
      ['pkg', 'search', 'hostsecret'],
      ['pkg', 'update'],
      ['service', 'list'],
      ['pkg', 'install', 'x'],
    ])
      expectRefusedAsUnsafe(run(['--root', root, ...args]), root);
  });

  it("a tree root's own, with one state folder uid 1000 owns: refused, naming that folder", () => {
    const root = tree(linkToHost);
    const pkg = path.join(root, 'var/lib/blueprint/pkg');
    giveAway(pkg);
    expectRefusedAsUnsafe(run(['--root', root, 'pkg', 'list']), pkg);
  });

  it('a tree of root in a folder uid 1000 owns (who can swap it): refused', () => {
    const root = tree(linkToHost);
    const parent = path.dirname(root);
    chownSync(parent, MALLORY, MALLORY);
    expectRefusedAsUnsafe(run(['--root', root, 'pkg', 'list']), parent);
  });

  it('a new box in a folder uid 1000 owns (repo add makes one): refused, nothing made', () => {
    const parent = path.join(tempDir('bp-tree-'), 'theirs');
    mkdirSync(parent);
    chownSync(parent, MALLORY, MALLORY);
    const root = path.join(parent, 'box');
    expectRefusedAsUnsafe(
      run(['--root', root, 'pkg', 'repo', 'add', 'main', 'file:///nowhere/repo']),
      parent,
    );
    expect(existsSync(root)).toBe(false);
  });

  it('a state folder open to all (0777): refused', () => {
    const root = tree();
    spawnSync('chmod', ['0777', path.join(root, 'var/lib/blueprint')]);
    expectRefusedAsUnsafe(run(['--root', root, 'pkg', 'list']), path.join(root, 'var/lib/blueprint'));
  });

  it('sticky (1777): fine on the way (opt, as a tmpfs mounted there), not as a state folder', () => {
    const root = tree();
    mkdirSync(path.join(root, 'opt'));
    spawnSync('chmod', ['1777', path.join(root, 'opt')]);
    const ok = run(['--root', root, 'pkg', 'list']);
    expect(ok.status, ok.stderr).toBe(0);
    const pkg = path.join(root, 'var/lib/blueprint/pkg');
    spawnSync('chmod', ['1777', pkg]);
    expectRefusedAsUnsafe(run(['--root', root, 'pkg', 'list']), pkg);
  });

  it('status still reads such a tree (read-bounded), and nothing through the link', () => {
    const root = tree(linkToHost);
    giveAway(root);
    const r = run(['--root', root, 'status']);
    expect(r.signal, 'killed after 20 s: it hung').toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('hostsecret');
    expect(r.stdout).toMatch(/packages: unknown \(.*installed\.json is a symbolic link/);
    // system status and gpu read any tree too; a command that reads no box ignores it.
    for (const args of [['system', 'status'], ['gpu'], ['version'], ['audit', 'sbom']]) {
      const other = run(['--root', root, ...args]);
      expect(other.signal, args.join(' ')).toBeNull();
      expect(other.stderr, args.join(' ')).not.toContain('unsafe-root');
      expect(other.stderr, args.join(' ')).not.toMatch(/another user can change/);
    }
    // The engine socket its config.json names (its owner's) is not asked, nor its history written.
    for (const args of [['doctor'], ['audit', 'network'], ['audit', 'outbound']])
      expectRefusedAsUnsafe(run(['--root', root, ...args]), root);
  });
});

describe('status of a tree uid 1000 owns: its service registrations read as the files themselves', () => {
  for (const [what, plant] of [
    ['a FIFO', fifo],
    ['a link to a host file', linkToHost],
  ] as const)
    it(`${what} at a registration's name: status ends, says why, shows nothing of it`, () => {
      const root = tree();
      const reg = path.join(root, 'var/lib/blueprint/services/hello');
      mkdirSync(reg, { recursive: true });
      plant(path.join(reg, '1.0.0.json'));
      giveAway(root);
      const r = run(['--root', root, 'status']);
      expect(r.signal, 'killed after 20 s: it hung').toBeNull();
      expect(r.stdout + r.stderr).not.toContain('hostsecret');
      expect(r.stdout).toMatch(/services: unknown \(.*1\.0\.0\.json is (a FIFO|a symbolic link)/);
    });
});

describe('a tree only root can change: its state files are read as the files themselves', () => {
  it('a link at installed.json is not followed: typed error naming it, nothing of the host file', () => {
    const root = tree(linkToHost);
    for (const args of [
      ['pkg', 'list'],
      ['pkg', 'search', 'hostsecret'],
    ]) {
      const r = run(['--root', root, ...args]);
      expect(r.signal, 'killed after 20 s: it hung').toBeNull();
      expect(r.stdout).not.toContain('hostsecret');
      expect(r.status, r.stderr).toBe(7);
      expect(r.stderr).toMatch(/installed\.json is a symbolic link/);
    }
  });

  it('a FIFO at installed.json does not hold bpkg list', () => {
    const root = tree(fifo);
    const r = run(['--root', root, 'pkg', 'list']);
    expect(r.signal, 'killed after 20 s: it hung').toBeNull();
    expect(r.status, r.stderr).toBe(7);
    expect(r.stderr).toMatch(/installed\.json is a FIFO/);
  });

  it("a plain tree works as before: root's, and uid 1000's own run by uid 1000", () => {
    const root = tree();
    expect(run(['--root', root, 'pkg', 'list']).status).toBe(0);
    const theirs = tree();
    spawnSync('chmod', ['0755', path.dirname(theirs)]);
    giveAway(theirs);
    const r = spawnSync(blueprintExe, ['--root', theirs, 'pkg', 'list'], {
      encoding: 'utf8',
      timeout: 20_000,
      killSignal: 'SIGKILL',
      uid: MALLORY,
      gid: MALLORY,
      env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent' },
    });
    expect(r.status, r.stderr).toBe(0);
    // Root through sudo by its owner (a checkout in their home): theirs is the runner's, as git's.
    const sudo = spawnSync(blueprintExe, ['--root', theirs, 'pkg', 'list'], {
      encoding: 'utf8',
      timeout: 20_000,
      killSignal: 'SIGKILL',
      env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent', SUDO_UID: String(MALLORY) },
    });
    expect(sudo.status, sudo.stderr).toBe(0);
    expect(run(['--root', theirs, 'pkg', 'list']).status).toBe(4);
  });
});
