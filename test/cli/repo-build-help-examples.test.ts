/**
 * `repo build --help`'s example was `blueprint repo build modules/* --repo ./repo --key repo-key.asc`
 * (QA8's walk; b9731711 fixed the README, not the help): pasted from the repository's root it failed
 * at once ('modules/kit has no manifest.json'), and no command writes repo-key.asc. Runs every
 * `blueprint repo` command line the help gives, in order, in a folder holding a copy of the
 * repository's modules/, with the real executable first on PATH: each must succeed.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blueprintExe, removeTempDirs, repoRoot, run, tempDir } from '../helpers/pkg.js';

afterAll(removeTempDirs);

describe('repo build --help examples', () => {
  it('work when pasted from the repository root', { timeout: 240_000 }, async () => {
    const help = await run(['repo', 'build', '--help']);
    expect(help.code).toBe(0);
    const lines = help.stdout
      .split('\n')
      .filter((l) => !l.startsWith('Usage:'))
      .map((l) => /: (blueprint repo (?:keygen|build)\b.*)$/.exec(l)?.[1])
      .filter((l): l is string => l !== undefined);
    expect(lines.length).toBeGreaterThan(0);

    const dir = tempDir('bp-help-ex-');
    cpSync(path.join(repoRoot, 'modules'), path.join(dir, 'modules'), { recursive: true });
    const bin = path.join(dir, '.bin');
    mkdirSync(bin);
    symlinkSync(blueprintExe, path.join(bin, 'blueprint'));
    for (const line of lines) {
      const r = spawnSync('sh', ['-e', '-c', line], {
        cwd: dir,
        encoding: 'utf8',
        env: { PATH: `${bin}:/usr/bin:/bin`, HOME: dir },
        timeout: 200_000,
      });
      expect(r.status, `${line}\n${r.stderr}`).toBe(0);
    }
    expect(existsSync(path.join(dir, 'repo', 'index.json'))).toBe(true);
  });
});
