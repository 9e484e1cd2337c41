/**
 * `bpkg install good@1.0.0` with good 1.1.0 installed said only 'installed good 1.0.0 from main
 * (was 1.1.0)': nothing said it went back a version, which apt says ("Downgrading", "The following
 * packages will be DOWNGRADED"). Now the line says it is a downgrade, --json marks the change
 * (`downgrade: true`), and the plan shown before the question names it. The question itself is the
 * one every install asks (--yes answers it; with no terminal it goes ahead, as any install does).
 * The real executable.
 */
import { describe, expect, it } from 'vitest';
import { planLines } from '../../src/present/install.js';
import { bpkg, GOOD, signedRepo, trustingRoot } from '../helpers/pkg.js';

describe('installing an older version', () => {
  it('says it is a downgrade, in the text and in --json; an upgrade is not called one', async () => {
    const { key, repo } = await signedRepo([GOOD, { ...GOOD, version: '1.1.0' }]);
    const root = await trustingRoot(key, repo);
    const up = await bpkg(root, ['--yes', 'install', 'good']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain('installed good 1.1.0 from main');
    expect(up.stdout).not.toMatch(/downgrad/i);

    const down = await bpkg(root, ['--yes', 'install', 'good@1.0.0']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain('installed good 1.0.0 from main (downgraded from 1.1.0)');

    const again = await bpkg(root, ['--json', 'install', 'good@1.1.0']);
    expect(again.code, again.stderr).toBe(0);
    const upJson = JSON.parse(again.stdout).changes[0];
    expect(upJson).toMatchObject({ name: 'good', from: '1.0.0', to: '1.1.0' });
    expect(upJson.downgrade).toBeUndefined();

    // No terminal, no --yes: goes ahead, as every other install without a terminal does.
    const json = await bpkg(root, ['--json', 'install', 'good@1.0.0']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).changes[0]).toMatchObject({
      name: 'good',
      from: '1.1.0',
      to: '1.0.0',
      downgrade: true,
    });
    const list = JSON.parse((await bpkg(root, ['--json', 'list'])).stdout);
    expect(list[0]).toMatchObject({ name: 'good', version: '1.0.0' });
  });

  it('the plan shown before the question names the downgrade', () => {
    const text = planLines([
      { name: 'good', from: '1.1.0', to: '1.0.0', repo: 'main', size: 2048, downgrade: true },
      { name: 'lib', from: '1.0.0', to: '2.0.0', repo: 'main', size: 4096 },
      { name: 'new', to: '1.0.0', repo: 'main', size: 100 },
    ]).join('\n');
    expect(text).toMatch(/good\s+1\.1\.0 -> 1\.0\.0 \(downgrade\)\s+main\s+2\.0 KiB/);
    expect(text).toMatch(/lib\s+1\.0\.0 -> 2\.0\.0\s+main/);
    expect(text).not.toMatch(/lib.*downgrade/);
  });
});
