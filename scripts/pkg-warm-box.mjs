// A box for the code cache's training runs (scripts/build-code-cache.mjs, issue 20): `bpkg update`
// finding its index unchanged and `bpkg search WORD` are answered in the executable's start part
// (src/cli/commands/pkg-quick.ts), and when the cache is made after a run of each, the functions
// they call are in it instead of compiled at every run (measured: update -2.4 ms, search -1.1 ms of
// CPU, paired, load 3). The training runs cannot import the command part (no node:sea in the child),
// so the box is made beforehand by the bundle run with plain node: a signing key, a signed folder
// repository of three packages, a root that trusts it and has updated once (the package manager's
// first update). Then `pkg update` and `pkg search` on it take the quick paths.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The word the training search looks for: it hits every package, so the table is drawn too. */
const WORD = 'warm';

/**
 * Makes the box with `nodeBinary` running `bundleDir/blueprint.mjs`; returns the training runs'
 * argvs and `remove`, which deletes the box (call it once the cache is made).
 */
export function pkgWarmBox(nodeBinary, bundleDir) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bp-pkg-warm-'));
  try {
    const bp = (...args) =>
      execFileSync(nodeBinary, [path.join(bundleDir, 'blueprint.mjs'), ...args], {
        stdio: ['ignore', 'ignore', 'inherit'],
        cwd: dir,
        timeout: 60_000,
      });
    const key = path.join(dir, 'key');
    bp('repo', 'keygen', '--out', key);
    const repo = path.join(dir, 'repo');
    mkdirSync(repo);
    const now = Date.now();
    const packages = [0, 1, 2].map((i) => ({
      name: `warm-${i}`,
      version: `1.${i}.0`,
      arch: 'all',
      summary: `Package ${i} to ${WORD} the code cache`,
      depends: i > 0 ? [`warm-${i - 1}>=1.0.0`] : [],
      size: 1000 + i,
      sha256: String(i).repeat(64),
      path: `pool/warm-${i}/warm-${i}_1.${i}.0_all.bpkg`,
    }));
    const index = path.join(repo, 'index.json');
    writeFileSync(
      index,
      JSON.stringify({
        format: 1,
        repository: 'warm',
        version: 1,
        generated: new Date(now - 60_000).toISOString(),
        expires: new Date(now + 7 * 86_400_000).toISOString(),
        packages,
      }),
    );
    bp('repo', 'sign', index, '--key', path.join(key, 'signing-key.asc'));
    const root = path.join(dir, 'root');
    bp('--root', root, 'pkg', 'key', 'add', path.join(key, 'signing-key.pub.asc'), '--yes');
    bp('--root', root, 'pkg', 'repo', 'add', 'main', repo);
    bp('--root', root, 'pkg', 'update');
    return {
      runs: [
        ['--root', root, 'pkg', 'update'],
        ['--root', root, 'pkg', 'search', WORD],
      ],
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
