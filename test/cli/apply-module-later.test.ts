/**
 * A fleet applies its repositories first and names modules later (an image built with the
 * repositories only, or a module published after the box last fetched the index). apply judged the
 * names against the box's kept index only: a repository an earlier apply added (never fetched, as
 * apply fetches only for modules) or an index older than the module refused it, exit 2, "not in the
 * offline catalog nor in a configured repository", with a hint to `bpkg search`, which showed
 * nothing either. The file's repositories are fetched again (in a scratch box) for such a name, and
 * apply installs it.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyWorkspace } from '../helpers/apply-workspace.js';
import { bpkg, buildRepo, GOOD, makeSource, run } from '../helpers/pkg.js';

describe('apply naming a module its repositories offer since the box last fetched them', () => {
  it('installs it: never fetched, then published after the last fetch', async () => {
    const { work, key, repo, root, file, repositories } = await applyWorkspace('bp-apply-later-');
    const apply = async (...modules: string[]) => {
      writeFileSync(
        file,
        [
          'hostname: edge-39',
          ...repositories,
          ...(modules.length
            ? ['modules:', ...modules.map((m) => `  - { name: ${m}, state: installed }`)]
            : []),
          '',
        ].join('\n'),
      );
      const dry = await run(['--root', root, 'apply', '-f', file, '--dry-run']);
      expect(dry.code, dry.stderr).toBe(0);
      const r = await run(['--root', root, 'apply', '-f', file]);
      expect(r.code, r.stderr).toBe(0);
    };
    const installed = async () =>
      (JSON.parse((await bpkg(root, ['--json', 'list'])).stdout) as { name: string }[])
        .map((p) => p.name)
        .sort();
    await apply();
    await apply('good');
    expect(await installed()).toEqual(['good']);
    await buildRepo(repo, key, [
      makeSource(path.join(work, 'src'), GOOD),
      makeSource(path.join(work, 'src2'), { name: 'later', version: '1.0.0' }),
    ]);
    await apply('good', 'later');
    expect(await installed()).toEqual(['good', 'later']);
  });
});
