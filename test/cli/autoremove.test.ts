import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bpkgBox, installedNames } from '../helpers/bpkg-box.js';
import { bpkg, signedRepo, type TestKey } from '../helpers/pkg.js';

/**
 * `bpkg remove rag` left embeddings, vectors and llm installed (and running) with nothing to say
 * so: they had come in as its dependencies (`auto` in the database) and nothing used them any more.
 * As apt does, remove names what is no longer needed and `bpkg autoremove` removes it; a package
 * the admin asked for by name (then or later) is never among them.
 */
let key: TestKey;
let repo: string;

beforeAll(async () => {
  ({ key, repo } = await signedRepo([
    { name: 'base', version: '1.0.0' },
    { name: 'lib', version: '1.0.0', depends: ['base>=1.0.0'] },
    { name: 'other', version: '1.0.0' },
    { name: 'app', version: '1.0.0', depends: ['lib>=1.0.0', 'other'] },
  ]));
});

const freshRoot = () => bpkgBox('bp-autorm-', key, repo);

describe('bpkg autoremove', () => {
  it('remove names the dependencies left unneeded; autoremove removes them, chains included', async () => {
    const root = await freshRoot();
    expect((await bpkg(root, ['install', 'app', '--yes'])).code).toBe(0);
    // Asked for by name after it came in as a dependency: the admin's now (apt: "set to manually installed").
    expect((await bpkg(root, ['install', 'other', '--yes'])).code).toBe(0);
    const rm = await bpkg(root, ['remove', 'app', '--yes']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stdout).toContain('No longer needed (installed as dependencies): base, lib');
    expect(rm.stdout).toContain(`\`bpkg --root ${root} autoremove\``);
    const dry = await bpkg(root, ['autoremove', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('Would remove base, lib');
    // apt-get's names for it, as remove and install take them.
    for (const flag of ['-s', '--simulate']) {
      const short = await bpkg(root, ['autoremove', flag]);
      expect(short.code, short.stderr).toBe(0);
      expect(short.stdout).toContain('Would remove base, lib');
    }
    expect(await installedNames(root)).toEqual(['base', 'lib', 'other']);
    const json = await bpkg(root, ['--json', 'autoremove', '--yes']);
    expect(json.code, json.stderr).toBe(0);
    expect(
      JSON.parse(json.stdout)
        .changes.map((c: { name: string }) => c.name)
        .sort(),
    ).toEqual(['base', 'lib']);
    expect(await installedNames(root)).toEqual(['other']);
    expect(existsSync(path.join(root, 'opt/blueprint/lib'))).toBe(false);
    const again = await bpkg(root, ['autoremove']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Nothing to remove');
  });

  it('remove --json lists them; nothing is said when every dependency is still used', async () => {
    const root = await freshRoot();
    expect((await bpkg(root, ['install', 'app', 'lib', '--yes'])).code).toBe(0);
    const rm = await bpkg(root, ['--json', 'remove', 'app', '--yes']);
    expect(rm.code, rm.stderr).toBe(0);
    // lib was asked for by name; base is lib's.
    expect(JSON.parse(rm.stdout).unneeded).toEqual(['other']);
    const rmLib = await bpkg(root, ['remove', 'lib', 'other', '--yes']);
    expect(rmLib.stdout).toContain('No longer needed (installed as dependencies): base');
    const none = await freshRoot();
    expect((await bpkg(none, ['install', 'other', '--yes'])).code).toBe(0);
    const plain = await bpkg(none, ['remove', 'other', '--yes']);
    expect(plain.stdout).not.toContain('No longer needed');
  });
});
