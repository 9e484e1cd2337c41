/**
 * `blueprint rag ask …` or `blueprint service start hello` on a box without that module: the hint
 * said 'Install it with `bpkg install NAME`', a placeholder the admin had to fill in (and for rag,
 * guess). It names the module. The real executable, on an empty box (no engine needed).
 */
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

describe('a module that is not installed', () => {
  it.each([
    [['rag', 'ask', 'what is in the manual?'], 'rag'],
    [['service', 'start', 'hello'], 'hello'],
  ])('%s: the hint names the module to install', async (argv, name) => {
    const root = tempDir('bp-not-installed-');
    const r = await run(['--root', root, ...argv]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`\`bpkg --root ${root} install ${name}\``);
    expect(r.stderr).not.toContain('NAME');
    const json = await run(['--root', root, '--json', ...argv]);
    expect(JSON.parse(json.stdout).error.hint).toContain(`bpkg --root ${root} install ${name}`);
  });
});
