/**
 * docs/fleet.md says a section given "is the whole of it", so an operator who takes a module out
 * of `modules:` (or writes `modules: []`) expects it removed; apply leaves it installed (as an
 * Ansible list of items with a state does: `state: absent` removes), and a repository taken out of
 * `repositories:` stays too. Nothing said so. Now `apply --help` and docs/fleet.md say it, and this
 * holds the behaviour they describe: not named, kept; `state: absent`, removed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyWorkspace } from '../helpers/apply-workspace.js';
import { repoRoot, run } from '../helpers/pkg.js';

describe('apply: modules and repositories the file does not name', () => {
  it('are left as the box has them; state: absent removes a module; --help and docs/fleet.md say so', async () => {
    const { repo, root, file, repositories: repos } = await applyWorkspace('bp-apply-not-named-');
    const apply = async (...lines: string[]) => {
      writeFileSync(file, ['hostname: edge-34', ...lines, ''].join('\n'));
      const r = await run(['--root', root, '--json', 'apply', '-f', file]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { changed: { kind: string; target: string; action: string }[] };
    };
    const installed = async () =>
      (JSON.parse((await run(['--root', root, '--json', 'pkg', 'list'])).stdout) as { name: string }[]).map(
        (p) => p.name,
      );
    await apply(...repos, 'modules: [{ name: good, state: installed }]');
    expect(await installed()).toEqual(['good']);
    expect((await apply('modules: []')).changed.filter((c) => c.kind !== 'marker')).toEqual([]);
    expect(await installed()).toEqual(['good']);
    const repoList = await run(['--root', root, '--json', 'pkg', 'repo', 'list']);
    expect(repoList.stdout).toContain(`file://${repo}`);
    const removed = await apply('modules: [{ name: good, state: absent }]');
    expect(removed.changed).toContainEqual(
      expect.objectContaining({ kind: 'package', target: 'good', action: 'delete' }),
    );
    expect(await installed()).toEqual([]);

    const help = (await run(['apply', '--help'])).stdout.replace(/\s+/g, ' ');
    const fleet = readFileSync(path.join(repoRoot, 'docs/fleet.md'), 'utf8').replace(/\s+/g, ' ');
    for (const text of [help, fleet]) {
      expect(text).toContain('A module or repository the file does not name is left as the box has it');
      expect(text).toContain('state: absent');
      expect(text).toContain('bpkg repo remove NAME');
    }
  });
});
