/**
 * `bpkg bundle` of a repository whose key was rotated (keys/README.md): the box is bound to the old
 * key and the new one, so the bundle holds both keys (keys/OLD.pub.asc, keys/NEW.pub.asc) while the
 * index is signed by the new one only. It printed "(signed by OLD, NEW)" and its help and
 * docs/remote-repositories.md said to add "the publisher key" with one --key: an admin who took the
 * first file got "signed by an untrusted key" (exit 4) on the air-gapped box. Now the bundle prints
 * the commands for that box, every key the repository is bound to included; pasted on a new box
 * (with its --root), they install the package.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkg, makeKey, makeSource, run, tempDir } from '../helpers/pkg.js';
import { rotateKey } from '../helpers/rotate-key.js';

describe('bpkg bundle after a key rotation', () => {
  it('prints the commands for the box with no network, and they work when pasted', async () => {
    const work = tempDir('bp-bundle-rotated-');
    const oldKey = await makeKey(path.join(work, 'old'));
    const newKey = await makeKey(path.join(work, 'new'));
    const repo = path.join(work, 'repo');
    const build = (version: string, key: string) =>
      run([
        'repo',
        'build',
        makeSource(path.join(work, 'src'), { name: 'good', version }),
        '--repo',
        repo,
        '--key',
        key,
      ]);
    expect((await build('1.0.0', oldKey.privateFile)).code).toBe(0);
    const box = tempDir('bp-bundle-box-');
    expect(
      (await bpkg(box, ['key', 'add', oldKey.publicFile, '--fingerprint', oldKey.fingerprint])).code,
    ).toBe(0);
    expect((await bpkg(box, ['repo', 'add', 'main', repo, '--key', oldKey.fingerprint])).code).toBe(0);
    expect((await bpkg(box, ['update'])).code).toBe(0);
    expect((await rotateKey(repo, oldKey, newKey)).code).toBe(0);
    expect((await build('1.0.1', newKey.privateFile)).code).toBe(0);
    expect((await bpkg(box, ['update'])).code).toBe(0);

    const out = path.join(work, 'usb');
    const b = await bpkg(box, ['bundle', 'good', '--out', out]);
    expect(b.code, b.stderr).toBe(0);
    const lines = b.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('bpkg '));
    expect(lines.filter((l) => l.startsWith('bpkg key add '))).toHaveLength(2);
    expect(lines.at(-1)).toBe('bpkg install good');
    const gap = tempDir('bp-bundle-gap-');
    for (const line of lines) {
      const args = line.split(' ').slice(1);
      const r = await bpkg(gap, args);
      expect(r.code, `${line}\n${r.stdout}${r.stderr}`).toBe(0);
    }
    const list = JSON.parse((await bpkg(gap, ['--json', 'list'])).stdout) as {
      name: string;
      version: string;
    }[];
    expect(list.map((p) => `${p.name}@${p.version}`)).toEqual(['good@1.0.1']);
  });
});
