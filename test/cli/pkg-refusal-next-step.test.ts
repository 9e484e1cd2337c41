/**
 * Refusals of bpkg that named no command to run, or one in plain text that the CLI could not give
 * --root to: `remove libgreet` (needed by greeter) said 'Remove greeter too, or pass --force';
 * `rollback` of a package never upgraded said 'Only upgraded packages can roll back.'; `install
 * good@9.9.9` said '(bpkg install good@1.1.0)' without the box's --root; `update` with no
 * repository 'Add one: bpkg repo add NAME URL'. Each now names the command, quoted as the CLI's
 * hints are, so it carries --root ROOT. The real executable.
 */
import { describe, expect, it } from 'vitest';
import { bpkg, GOOD, signedRepo, tempDir, trustingRoot } from '../helpers/pkg.js';

describe('bpkg refusals say the command to run', () => {
  it('remove of a needed package, rollback with nothing kept, a version not published, update with no repository', async () => {
    const { key, repo } = await signedRepo([
      GOOD,
      { ...GOOD, version: '1.1.0' },
      { name: 'libgreet', version: '1.0.0' },
      { name: 'greeter', version: '1.0.0', depends: ['libgreet>=1.0.0'] },
    ]);
    const root = await trustingRoot(key, repo);
    const cmd = (c: string) => `\`bpkg --root ${root} ${c}\``;
    expect((await bpkg(root, ['--yes', 'install', 'greeter', 'good'])).code).toBe(0);

    const rm = await bpkg(root, ['remove', 'libgreet']);
    expect(rm.code).toBe(5);
    expect(rm.stderr).toContain(cmd('remove libgreet greeter'));

    const back = await bpkg(root, ['rollback', 'good']);
    expect(back.code).toBe(3);
    expect(back.stderr).toContain(cmd('info good'));
    expect(back.stderr).toContain(cmd('install good@VERSION'));

    const missing = await bpkg(root, ['install', 'good@9.9.9']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain(cmd('install good@1.1.0'));

    const empty = tempDir('bp-norepo-');
    const up = await bpkg(empty, ['update']);
    expect(up.code).toBe(3);
    expect(up.stderr).toContain(`\`bpkg --root ${empty} repo add NAME URL --key FPR\``);
  });
});
