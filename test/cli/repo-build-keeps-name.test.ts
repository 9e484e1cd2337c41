/**
 * `blueprint repo build --repo DIR` run again without --name (a new package, or only re-signing
 * before the index expires) named the index after the folder: a repository built as `demo` into
 * ./repo became `repo`, and every box that had added it refused the next update ('names repository
 * "repo", not "demo"', exit 4). A rebuild keeps the name the folder's index has; the folder's name
 * is the default of a first build only. --name another name still renames, and says what boxes do
 * then. The real executable.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkg, GOOD, makeKey, makeSource, run, tempDir } from '../helpers/pkg.js';

describe('repo build of an existing repository', () => {
  it('keeps the name its index has, and boxes keep updating', async () => {
    const key = await makeKey(path.join(tempDir(), 'key'));
    const dir = path.join(tempDir(), 'repo');
    const build = (...args: string[]) =>
      run(['repo', 'build', ...args, '--repo', dir, '--key', key.privateFile]);
    expect((await build(makeSource(tempDir(), GOOD), '--name', 'demo')).code).toBe(0);
    const root = tempDir('bp-keepname-');
    expect((await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint])).code).toBe(0);
    expect((await bpkg(root, ['repo', 'add', 'demo', dir, '--key', key.fingerprint])).code).toBe(0);
    expect((await bpkg(root, ['update'])).code).toBe(0);

    // Re-signed (no sources), then a new version: the name stays.
    const again = await build();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('repository demo v2');
    expect((await build(makeSource(tempDir(), { ...GOOD, version: '1.1.0' }))).code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')).repository).toBe('demo');
    const up = await bpkg(root, ['update']);
    expect(up.code, up.stdout).toBe(0);
    expect(up.stdout).toContain('demo: updated to version 3');

    // An explicit rename is the publisher's: done, and said what boxes make of it.
    const renamed = await build('--name', 'other');
    expect(renamed.code).toBe(0);
    expect(renamed.stderr).toContain('renamed from demo to other');
    expect(JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')).repository).toBe('other');
  });
});
