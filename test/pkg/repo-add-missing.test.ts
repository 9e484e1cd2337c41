/**
 * `bpkg repo add main example.org/blueprint` (a host typed without https://) was taken for a folder
 * beside the admin's working directory: 'added repository main (file:///root/example.org/blueprint)',
 * exit 0, and only `bpkg update` failed later, on a folder the admin never meant. A path (no
 * scheme) that is not there is refused (exit 3) before anything is written, naming the folder it
 * looked for and the URL form; a folder that is there is added as before. The real executable.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkg, repoFile } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

describe('repo add of a path that is not there', () => {
  it('is refused (exit 3), naming the folder and the URL form; nothing is written', async () => {
    const root = tempDir('bp-repo-missing-');
    const r = await bpkg(root, ['repo', 'add', 'main', 'example.org/blueprint']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`error: ${path.resolve('example.org/blueprint')} does not exist`);
    expect(r.stderr).toContain('https://example.org/blueprint');
    expect(existsSync(repoFile(root))).toBe(false);
    const json = await bpkg(root, ['--json', 'repo', 'add', 'main', 'example.org/blueprint']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'not-found' });
  });

  it('a mirror that is a path not there: the same', async () => {
    const root = tempDir('bp-repo-missing-');
    const repo = tempDir('bp-repo-missing-repo-');
    const r = await bpkg(root, ['repo', 'add', 'main', repo, '--mirror', path.join(repo, 'nowhere')]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`${path.join(repo, 'nowhere')} does not exist`);
    // An absolute path is a folder, never a host typed without https:// ('https://tmp/…' was offered).
    expect(r.stderr).not.toContain('https://');
    expect(r.stderr).toContain('is the stick mounted?');
    expect(existsSync(repoFile(root))).toBe(false);
  });

  it('a folder that is there, or a URL with its scheme: added as before', async () => {
    const root = tempDir('bp-repo-missing-');
    const repo = path.join(tempDir('bp-repo-missing-repo-'), 'repo');
    mkdirSync(repo);
    expect((await bpkg(root, ['repo', 'add', 'main', repo])).code).toBe(0);
    expect((await bpkg(root, ['repo', 'add', 'web', 'https://example.org/blueprint'])).code).toBe(0);
  });
});
