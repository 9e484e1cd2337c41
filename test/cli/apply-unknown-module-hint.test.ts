/**
 * `apply -f` naming a module no repository offers (a typo) on a box the file's repository is new
 * to: the hint said "`bpkg search WORD` lists what the repositories offer", but the box has not
 * added that repository (nothing was written), so the search showed none of its packages. The
 * hint names what the file's repositories offer, as fetched for the plan.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyWorkspace } from '../helpers/apply-workspace.js';
import { GOOD, run } from '../helpers/pkg.js';

describe('apply with a module name no repository offers', () => {
  it('the hint lists what the file’s repositories offer', async () => {
    const { root, file, repositories } = await applyWorkspace('bp-apply-unknown-', [
      GOOD,
      { name: 'other', version: '1.0.0' },
    ]);
    writeFileSync(
      file,
      ['hostname: edge-40', ...repositories, 'modules: [{ name: godo, state: installed }]', ''].join('\n'),
    );
    const r = await run(['--root', root, '--json', 'apply', '-f', file, '--dry-run']);
    expect(r.code).toBe(2);
    const { error } = JSON.parse(r.stdout) as { error: { message: string; hint: string } };
    expect(error.message).toContain('modules.0.name: "godo"');
    expect(error.hint).toContain('good, other');
  });
});
