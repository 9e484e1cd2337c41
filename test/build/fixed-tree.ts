/**
 * A copy of the repository for the real builds of test/build: the committed sources (HEAD's src/,
 * modules/, package files), this checkout's scripts/ (the build under test, committed or not) and
 * node_modules hard-linked (esbuild's paths must stay node_modules/… under the tree; ~2 s for 35k
 * files). Those tests build the tree 3-8 times over minutes; built from the live checkout, another
 * engineer's half-made edit failed one build now and then, and any edit in between changed the inputs
 * digest, so whether --if-stale found dist/ up to date hung on who saved a file meanwhile.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/** Makes the copy; returns its root and its removal. */
export function fixedTree(): { root: string; remove: () => void } {
  // Under the checkout's own ignored tmp/, not os.tmpdir(): node_modules is hard-linked, and a
  // CI runner's /tmp may be another filesystem than its clone (cp -al fails across them).
  const scratch = path.join(repoRoot, 'tmp');
  mkdirSync(scratch, { recursive: true });
  const root = mkdtempSync(path.join(scratch, 'bp-build-tree-'));
  const remove = () => rmSync(root, { recursive: true, force: true });
  try {
    const committed = ['src', 'modules', 'package.json', 'package-lock.json', 'tsconfig.json', '.gitignore'];
    const archive = execFileSync('git', ['-C', repoRoot, 'archive', 'HEAD', '--', ...committed], {
      maxBuffer: 256 << 20,
    });
    execFileSync('tar', ['-x', '-C', root], { input: archive });
    const scripts = execFileSync(
      'git',
      ['-C', repoRoot, 'ls-files', '-z', '-co', '--exclude-standard', '--', 'scripts'],
      { maxBuffer: 64 << 20 },
    )
      .toString()
      .split('\0')
      .filter(Boolean);
    for (const file of new Set(scripts)) {
      try {
        cpSync(path.join(repoRoot, file), path.join(root, file));
      } catch {
        // listed, then removed by its owner meanwhile (a scratch script)
      }
    }
    // Hard links: the same filesystem as the checkout (above).
    execFileSync('cp', ['-al', path.join(repoRoot, 'node_modules'), path.join(root, 'node_modules')]);
    // A repository of its own: the build's inputs digest lists files with git (scripts/build-inputs.mjs).
    execFileSync('git', ['-C', root, 'init', '-q']);
  } catch (err) {
    remove();
    throw err;
  }
  return { root, remove };
}
