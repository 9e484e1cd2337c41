import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { blueprintExe } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * An argument a script passed from a variable never set (`blueprint rag remove "$ID"`,
 * `model import "$F" --name x`, `service start "$S"`) arrived empty and was taken as a name or a
 * path: rag remove asked the module for 'no document ' (nothing named), model import took the
 * current folder ('… is a folder'). Any command refuses an empty argument as bad usage (exit 2),
 * said as one, before it acts; `bpkg search ''` still lists every package (the demo relies on it);
 * install, remove, info and rag ask keep their own refusals with examples (pkg/empty-name,
 * cli/option-value).
 */
describe('an empty argument', () => {
  const run = (root: string, args: string[]) =>
    spawnSync(blueprintExe, ['--root', root, ...args], { encoding: 'utf8' });

  it.each([
    [['rag', 'remove', '']],
    [['model', 'import', '', '--name', 'x']],
    [['service', 'start', '']],
    [['service', 'logs', ' ']],
    [['pkg', 'verify', 'hello', '']],
  ])('%j: exit 2, said as an empty argument, nothing done', (args) => {
    const root = tempDir('bp-empty-arg-');
    const r = run(root, args);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('error: An empty argument (a shell variable not set?)');
    expect(r.stderr).toMatch(/hint: .*--help/);
  });

  it("bpkg search '' still answers: every package, here none", () => {
    const root = tempDir('bp-empty-arg-');
    const r = run(root, ['pkg', 'search', '']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/no repository is configured/);
  });
});
