/**
 * `apply -f` (and `setup --answers`) with a repository the box has not added yet, whose index
 * cannot be fetched: the hint said `Check the network and the repository URL (bpkg repo list)`,
 * but the box has no such repository (nothing was written, or the root is not even there: `bpkg
 * --root NEW repo list` answers exit 3), so the command it named shows nothing of it. The URL to
 * check is the file's: the hint names the repository and its URL, and no `repo list`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoriesSection } from '../helpers/apply-workspace.js';
import { makeKey, run, tempDir } from '../helpers/pkg.js';

describe('apply with a new repository that cannot be reached', () => {
  it('the hint names the URL of the file, not `bpkg repo list`', async () => {
    const work = tempDir('bp-apply-unreachable-');
    const key = await makeKey(path.join(work, 'key'));
    const url = 'http://127.0.0.1:1/fleet';
    const file = path.join(work, 'appliance.yaml');
    writeFileSync(
      file,
      [
        'hostname: edge-32',
        ...repositoriesSection('fleet', url, key),
        'modules: [{ name: good, state: installed }]',
        '',
      ].join('\n'),
    );
    const root = path.join(work, 'root');
    const r = await run(['--root', root, '--json', 'apply', '-f', file, '--dry-run']);
    expect(r.code).toBe(1);
    const { error } = JSON.parse(r.stdout) as { error: { code: string; message: string; hint: string } };
    expect(error.code).toBe('network');
    expect(error.message).toContain('modules.0.name');
    expect(error.hint).not.toContain('repo list');
    expect(error.hint).toContain(`repository fleet (${url})`);
    expect(error.hint).toContain('Nothing was written');
  });
});
