/**
 * `apply -f` on a --root other than / ended every run with "Services pick them up at the next
 * boot of that root.", also when all it did was install a module, or start or stop a service on
 * the engine, which took effect at once (`service status` said running right after). The sentence
 * is said when system files changed, and says that module changes are done now.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyWorkspace } from '../helpers/apply-workspace.js';
import { run } from '../helpers/pkg.js';

describe('apply on a --root: what takes effect when', () => {
  it('names the next boot only for system files', async () => {
    const { root, file, repositories: repos } = await applyWorkspace('bp-apply-next-boot-');
    const apply = async (...lines: string[]) => {
      writeFileSync(file, [...lines, ''].join('\n'));
      const r = await run(['--root', root, 'apply', '-f', file]);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout;
    };
    const first = await apply('hostname: edge-37', ...repos);
    expect(first).toMatch(/next boot of that root/);
    const modulesOnly = await apply(
      'hostname: edge-37',
      ...repos,
      'modules: [{ name: good, state: installed }]',
    );
    expect(modulesOnly).toMatch(/change\(s\) applied/);
    expect(modulesOnly).not.toMatch(/next boot/);
    const both = await apply('hostname: edge-38', ...repos, 'modules: [{ name: good, state: absent }]');
    expect(both).toMatch(/next boot of that root/);
    expect(both).toMatch(/module changes are done now/i);
  });
});
