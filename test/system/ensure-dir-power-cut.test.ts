/**
 * A folder ensureDir makes is an entry of its parent: until the parent is synced, a power cut can
 * lose the new folder and everything written in it, files synced or not. On a new --root, the first
 * command makes var/lib/blueprint/pkg (or etc/blueprint/repos.d) and commits a file in it: the
 * commit's rename and its folder's sync were on the disk, the folders above it were not. Read from
 * the program's own calls (test/helpers/power-cut).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from '../helpers/pkg.js';
import { hasStrace, traceUntil } from '../helpers/power-cut.js';

const Q8 = path.join(repoRoot, 'test/fixtures/models/tiny-llama-q8/tiny-llama-q8_0.gguf');

/** Of `folders`, those this trace made (mkdir) whose parent was not fsync'ed after it. */
function lostFolders(lines: string[], folders: string[]): string[] {
  return folders.filter((dir) => {
    const made = lines.findIndex(
      (l) => /\bmkdir(?:at)?\(/.test(l) && l.includes(`"${dir}"`) && / = 0$/.test(l),
    );
    expect(made, `the mkdir of ${dir}`).toBeGreaterThanOrEqual(0);
    const sync = new RegExp(`\\bf(?:data)?sync\\(\\d+<${path.dirname(dir).replace(/[.+]/g, '\\$&')}>`);
    return !lines.slice(made + 1).some((l) => sync.test(l));
  });
}

describe.skipIf(!hasStrace)('folders made on a new root survive a power cut after the commit', () => {
  const also = ['mkdir', 'mkdirat'];

  it('pkg repo add: etc, etc/blueprint and repos.d are synced into their parents before main.json', () => {
    const root = tempDir('bp-root-');
    const repos = path.join(root, 'etc/blueprint/repos.d');
    const lines = traceUntil(
      ['--root', root, 'pkg', 'repo', 'add', 'main', 'https://example.org/r'],
      path.join(repos, 'main.json'),
      also,
    );
    const at = (rel: string) => path.join(root, rel);
    expect(
      lostFolders(lines, [at('etc'), at('etc/blueprint'), repos]).map((d) => path.relative(root, d)),
    ).toEqual([]);
  });

  it('model import: var/lib/blueprint/pkg and the folders above it are synced before installed.json', () => {
    const root = tempDir('bp-root-');
    const lines = traceUntil(
      ['--root', root, '--yes', 'model', 'import', Q8, '--name', 'durable-dirs'],
      path.join(root, 'var/lib/blueprint/pkg/installed.json'),
      also,
    );
    const want = ['var', 'var/lib', 'var/lib/blueprint', 'var/lib/blueprint/pkg'].map((r) =>
      path.join(root, r),
    );
    expect(lostFolders(lines, want).map((d) => path.relative(root, d))).toEqual([]);
  });
});
