/**
 * `blueprint repo build SRC --repo DIR --key KEY` ended with 'repository NAME v1: 1 package' and
 * `blueprint repo publish DIR --to /some/folder` was refused with only 'Publish to oci://… or
 * s3://…': a publisher with a folder was not told that the folder is the repository, ready to serve
 * as it is, nor how a box adds it. The build now says where it is and what to do with it (copy it to a
 * web server or a stick; on a box `bpkg key add`, `bpkg repo add NAME file:///DIR --key FPR`,
 * `bpkg update`); publish to a folder says the same. The real executable.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bpkg, GOOD, makeKey, makeSource, run, tempDir } from '../helpers/pkg.js';

describe('a repository built into a folder', () => {
  it('repo build says what to do next with the folder, and the steps it names work', async () => {
    const key = await makeKey(path.join(tempDir(), 'key'));
    const src = makeSource(tempDir(), GOOD);
    const dir = path.join(tempDir(), 'my repo');
    const r = await run(['repo', 'build', src, '--repo', dir, '--key', key.privateFile]);
    expect(r.code, r.stderr).toBe(0);
    const url = pathToFileURL(dir).href;
    const fpr = key.fingerprint.toUpperCase();
    expect(r.stdout).toContain('repository my repo v1: 1 package');
    expect(r.stdout).toContain(`ready in ${dir}`);
    expect(r.stdout).toMatch(/web server|USB stick/);
    expect(r.stdout).toContain(`bpkg repo add my-repo ${url} --key ${fpr}`);
    expect(r.stdout).toContain(`--fingerprint ${fpr}`);

    // The steps as said, on a fresh box.
    const root = tempDir('bp-next-');
    expect((await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', fpr])).code).toBe(0);
    const add = await bpkg(root, ['repo', 'add', 'my-repo', url, '--key', fpr]);
    expect(add.code, add.stderr).toBe(0);
    expect((await bpkg(root, ['update'])).code).toBe(0);
    expect((await bpkg(root, ['--yes', 'install', 'good'])).code).toBe(0);

    const json = await run(['--json', 'repo', 'build', src, '--repo', dir, '--key', key.privateFile]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      repository: 'my repo',
      version: 2,
      packages: ['good@1.0.0'],
      dir,
      url,
      fingerprint: key.fingerprint.toLowerCase(),
    });
  });

  it('repo publish to a folder says the built folder is served as it is', async () => {
    const key = await makeKey(path.join(tempDir(), 'key'));
    const dir = path.join(tempDir(), 'repo');
    expect(
      (await run(['repo', 'build', makeSource(tempDir(), GOOD), '--repo', dir, '--key', key.privateFile]))
        .code,
    ).toBe(0);
    const target = path.join(tempDir(), 'www');
    for (const to of [target, pathToFileURL(target).href]) {
      const r = await run(['repo', 'publish', dir, '--to', to]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`Cannot publish to ${to}`);
      expect(r.stderr).toMatch(/served as it is|copy/i);
      expect(r.stderr).toContain(`cp -a`);
      expect(r.stderr).toContain('bpkg repo add');
    }
    expect(existsSync(target)).toBe(false);
  });
});
