/**
 * `npm run build -- --if-stale` (scripts/test-image.sh) leaves dist/ as it is when nothing the
 * executable is built from changed. Before, test:image rebuilt dist/blueprint on every call, and a
 * rebuild is never byte-identical (its code caches are made by running it), so build-image.sh's
 * --if-stale saw a new executable and rebuilt the whole image each time (5-10 minutes).
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a build script, plain JavaScript
import { buildInputsDigest, INPUTS } from '../../scripts/build-inputs.mjs';

const repo = mkdtempSync(path.join(os.tmpdir(), 'bp-build-inputs-'));
afterAll(() => rmSync(repo, { recursive: true, force: true }));
const git = (...a: string[]) => execFileSync('git', ['-C', repo, ...a], { stdio: 'pipe' });
const write = (file: string, text: string) => {
  mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
  writeFileSync(path.join(repo, file), text);
};

describe('the build inputs digest', () => {
  git('init', '-q');
  write('.gitignore', 'dist/\n');
  write('src/main.ts', 'console.log(1);\n');
  write('scripts/build.mjs', '// build\n');
  write('modules/kit/client/x.ts', 'export {};\n');
  write('modules/llm/server.ts', 'export {};\n');
  write('package.json', '{}\n');
  write('package-lock.json', '{}\n');
  write('tsconfig.json', '{}\n');
  const first = buildInputsDigest(repo, []);

  it('stays the same when only the output, a module outside the kit or the docs change', () => {
    write('dist/blueprint', 'new bytes');
    write('modules/llm/server.ts', 'export const changed = 1;\n');
    write('README.md', '# docs\n');
    expect(buildInputsDigest(repo, [])).toBe(first);
  });

  it('changes with a source file, a new untracked source file, the lock, the kit or the options', () => {
    write('src/main.ts', 'console.log(2);\n');
    const edited = buildInputsDigest(repo, []);
    expect(edited).not.toBe(first);
    write('src/new.ts', 'export {};\n');
    const added = buildInputsDigest(repo, []);
    expect(added).not.toBe(edited);
    write('package-lock.json', '{"v":2}\n');
    const locked = buildInputsDigest(repo, []);
    expect(locked).not.toBe(added);
    write('modules/kit/client/x.ts', 'export const y = 1;\n');
    const kit = buildInputsDigest(repo, []);
    expect(kit).not.toBe(locked);
    expect(buildInputsDigest(repo, ['--arch', 'arm64'])).not.toBe(kit);
    expect(buildInputsDigest(repo, ['--if-stale'])).toBe(kit);
  });
});

describe("the build inputs' paths", () => {
  const root = path.resolve(import.meta.dirname, '../..');
  const covered = (file: string) => INPUTS.some((p: string) => file === p || file.startsWith(`${p}/`));

  it('hold every file outside src/ that src/ imports, and what those import in turn', () => {
    const seen = new Set<string>();
    const outside: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(path.join(root, file), 'utf8');
      for (const [, spec] of text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
        const target = path
          .relative(root, path.resolve(root, path.dirname(file), spec ?? '.'))
          .replace(/\.js$/, '.ts');
        if (!target.startsWith('src/') && existsSync(path.join(root, target))) {
          outside.push(target);
          visit(target);
        }
      }
    };
    const sources = readdirSync(path.join(root, 'src'), { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.tsx?$/.test(f))
      .map((f) => `src/${f}`);
    for (const file of sources) visit(file);
    expect(outside.length).toBeGreaterThan(0); // the kit's response parser at least
    expect(outside.filter((f) => !covered(f))).toEqual([]);
  });
});
