/**
 * `apply -f` naming a module no repository offers (a typo) on a box the file's repository is new
 * to: the hint said "`bpkg search WORD` lists what the repositories offer", but the box has not
 * added that repository (nothing was written), so the search showed none of its packages. The
 * hint names what the file's repositories offer, as fetched for the plan.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRepo, GOOD, makeKey, makeSource, run, tempDir } from '../helpers/pkg.js';

describe('apply with a module name no repository offers', () => {
  it('the hint lists what the file’s repositories offer', async () => {
    const work = tempDir('bp-apply-unknown-');
    const key = await makeKey(path.join(work, 'key'));
    const repo = path.join(work, 'repo');
    await buildRepo(repo, key, [
      makeSource(path.join(work, 'src'), GOOD),
      makeSource(path.join(work, 'src2'), { name: 'other', version: '1.0.0' }),
    ]);
    const file = path.join(work, 'appliance.yaml');
    writeFileSync(
      file,
      [
        'hostname: edge-40',
        'repositories:',
        '  - name: main',
        `    url: file://${repo}`,
        `    key: ${key.publicFile}`,
        `    fingerprint: "${key.fingerprint}"`,
        'modules: [{ name: godo, state: installed }]',
        '',
      ].join('\n'),
    );
    const r = await run(['--root', path.join(work, 'root'), '--json', 'apply', '-f', file, '--dry-run']);
    expect(r.code).toBe(2);
    const { error } = JSON.parse(r.stdout) as { error: { message: string; hint: string } };
    expect(error.message).toContain('modules.0.name: "godo"');
    expect(error.hint).toContain('good, other');
  });
});
