/**
 * Usage examples that a user copies must work as written. `blueprint --root` with nothing after
 * it hinted `Example: blueprint --root /tmp/box pkg list`, but a --root that does not exist is
 * refused (exit 3, test/cli/missing-root): the example failed on every box that had no /tmp/box.
 * Every example in the sources that runs a command on `--root PATH` (PATH not /) now either makes
 * PATH first (`mkdir -p PATH && …`) or says on the same line what is there (`mounted at PATH`);
 * and the hint's example, run as written in a fresh folder, works.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { blueprintExe } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(path.join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') || f.endsWith('.tsx'))
    .map((f) => path.join(dir, f));
}

describe('examples that use --root', () => {
  it('make the folder first, or say what is mounted there', () => {
    const bad: string[] = [];
    for (const file of ['src/cli', 'src/present', 'src/app', 'src/core', 'src/tui'].flatMap(sources)) {
      readFileSync(path.join(repoRoot, file), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/^\s*(\/\/|\*|\/\*)/.test(line)) return; // comments are for us, not the user
          for (const m of line.matchAll(/(?:blueprint|bpkg) --root[ =](\/[^\s`'"]*)/g)) {
            const dir = m[1]!;
            if (dir === '/') continue;
            const made = line.indexOf(`mkdir -p ${dir}`);
            if ((made >= 0 && made < m.index) || line.includes(`mounted at ${dir}`)) continue;
            bad.push(`${file}:${i + 1}: ${m[0]}`);
          }
        });
    }
    expect(bad).toEqual([]);
  });

  it('the hint for --root with no folder gives an example that works as written', async () => {
    const r = await runCliHere(['--root=', 'pkg', 'list']);
    expect(r.code).toBe(2);
    const example = /hint: Example: (.*)/.exec(r.err)?.[1];
    expect(example).toBeDefined();
    // Run as written, with `blueprint` the built executable and /tmp/ a fresh folder of ours.
    const base = tempDir('bp-example-');
    const cmd = example!.replaceAll('/tmp/', `${base}/`).replaceAll(/\bblueprint\b/g, blueprintExe);
    const out = execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });
    expect(out).toContain('No packages installed.');
  });
});
