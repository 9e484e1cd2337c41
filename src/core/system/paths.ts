import path from 'node:path';

/**
 * Where everything lives, relative to a root directory (`/` on the appliance, a temp dir in tests).
 * Every path the program touches comes from here.
 */
export interface Layout {
  root: string;
  etc: string;
  keysDir: string;
  reposDir: string;
  stateDir: string;
  pkgState: string;
  listsDir: string;
  installedDb: string;
  journal: string;
  lockFile: string;
  filesDir: string;
  cacheDir: string;
  pkgCache: string;
  optDir: string;
  modulesData: string;
  runDir: string;
  setupMarker: string;
  configFile: string;
}

/**
 * Package names (so module and service names): lower-case, digits, dashes. They become folder
 * names under the root and container labels, so anything else is refused before a path is made.
 */
export const PACKAGE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function layout(root: string): Layout {
  const r = path.resolve(root);
  // `r` is absolute and normalised, and each `rel` below is a plain relative path (no `.`, `..` or
  // doubled slashes), so path.join's normalising pass changes nothing: joined by hand, without the
  // 17 cold passes over the whole string that were ~0.5-1 ms of every `bpkg` command (issue 20).
  const at = (rel: string) => (r === path.sep ? r : r + path.sep) + rel;
  return {
    root: r,
    etc: at('etc/blueprint'),
    keysDir: at('etc/blueprint/keys'),
    reposDir: at('etc/blueprint/repos.d'),
    configFile: at('etc/blueprint/config.json'),
    stateDir: at('var/lib/blueprint'),
    pkgState: at('var/lib/blueprint/pkg'),
    listsDir: at('var/lib/blueprint/pkg/lists'),
    installedDb: at('var/lib/blueprint/pkg/installed.json'),
    journal: at('var/lib/blueprint/pkg/journal.json'),
    lockFile: at('var/lib/blueprint/pkg/lock'),
    filesDir: at('var/lib/blueprint/pkg/files'),
    cacheDir: at('var/cache/blueprint'),
    pkgCache: at('var/cache/blueprint/packages'),
    optDir: at('opt/blueprint'),
    modulesData: at('var/lib/blueprint/modules'),
    runDir: at('run/blueprint'),
    setupMarker: at('var/lib/blueprint/setup-done'),
  };
}

/**
 * The folders under the root that the package manager creates and writes. Each must really lie
 * inside the root (see `assertInsideRoot`): a symlink among them must not carry writes elsewhere.
 */
export function managedDirs(l: Layout): string[] {
  return [
    l.etc,
    l.keysDir,
    l.reposDir,
    l.stateDir,
    l.pkgState,
    l.listsDir,
    l.filesDir,
    l.modulesData,
    l.cacheDir,
    l.pkgCache,
    l.optDir,
    l.runDir,
  ];
}

/** Joins a path under a base and refuses anything that escapes it (`..`, absolute parts). */
export function within(base: string, rel: string): string | undefined {
  const full = path.resolve(base, rel);
  const b = path.resolve(base);
  return full === b || full.startsWith(b + path.sep) ? full : undefined;
}

/**
 * Whether someone but root might change the tree at `root` (`--root`): a folder of its state
 * (managedDirs) or one on the way to them, the root and those above it included, as named and as
 * really placed, that is not root's, or that a group or everyone may write (a sticky one is fine
 * on the way, /tmp, not as a state folder: blueprint's files are there). Quick and coarse (a few
 * stats, in the start part, whose every byte is compiled at each start): true leaves the judgement
 * to tree-owner.ts, which names who and where, or finds it fine after all (the runner's own tree, a
 * private group, a command that reads any tree). A folder it cannot look into (a runner not root:
 * EACCES) leaves it to tree-owner.ts too.
 */
export function treeShared(root: string): boolean {
  const fs = process.getBuiltinModule('node:fs');
  try {
    for (const r of new Set([root, fs.realpathSync.native(root)])) {
      const dirs = managedDirs(layout(r));
      // The state folders share their parents: each is looked at once (a walk stops at one seen).
      const seen = new Set<string>();
      for (let d of dirs)
        for (; d && !seen.has(d); d = d.slice(0, d.lastIndexOf('/'))) {
          seen.add(d);
          const st = fs.statSync(d, { throwIfNoEntry: false });
          if (st && (st.uid || (st.mode & 0o22 && !(st.mode & 0o1000 && !dirs.includes(d))))) return true;
        }
    }
    return false;
  } catch {
    return true;
  }
}
