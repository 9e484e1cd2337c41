/**
 * `bpkg install hello@9.9.9` (a version the repositories do not have) and `bpkg install 'hello@>>1'`
 * (not a version range) exited 5, "conflict", as if two packages disagreed. Now a version the
 * indexes lack is not found (exit 3) with the versions they have and `bpkg info NAME`; a range
 * that does not parse is bad usage (exit 2) with the syntax. A version held by a dependency that
 * the request cannot meet stays a conflict (5). Nothing is installed. The real executable.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkg, signedRepo, trustingRoot } from '../helpers/pkg.js';

describe('bpkg install NAME@VERSION the indexes do not have', () => {
  it('is not found with the versions there are; a range that does not parse is bad usage', async () => {
    const { key, repo } = await signedRepo([
      { name: 'hello', version: '1.0.0' },
      { name: 'hello', version: '1.2.0' },
      { name: 'pinned', version: '1.0.0', depends: ['hello=1.0.0'] },
    ]);
    const root = await trustingRoot(key, repo);
    for (const typed of ['hello@9.9.9', 'hello@>=2']) {
      const version = typed.slice('hello@'.length);
      const r = await bpkg(root, ['--yes', 'install', typed]);
      expect(r.code, typed).toBe(3);
      expect(r.stderr, typed).toContain(
        `error: No version of hello matches ${version}; available: 1.0.0, 1.2.0`,
      );
      expect(r.stderr, typed).toContain(
        `hint: Install one of those (\`bpkg --root ${root} install hello@1.2.0\`), or see \`bpkg --root ${root} info hello\`.`,
      );
      const json = JSON.parse((await bpkg(root, ['--json', '--yes', 'install', typed])).stdout);
      expect(json.error.code, typed).toBe('version-not-found');
    }
    for (const typed of ['hello@>>1', 'hello@1.0.0.0', 'hello@latest']) {
      const r = await bpkg(root, ['--yes', 'install', typed]);
      expect(r.code, typed).toBe(2);
      expect(r.stderr, typed).toContain(
        `error: ${typed.slice('hello@'.length)} is not a version or version range`,
      );
      expect(r.stderr, typed).toContain(
        `hint: Give a version (\`bpkg --root ${root} install hello@1.2.3\`) or a range`,
      );
      expect(JSON.parse((await bpkg(root, ['--json', '--yes', 'install', typed])).stdout).error.code).toBe(
        'usage',
      );
    }
    // A real conflict (pinned needs hello 1.0.0, the request asks for 1.2.0) is still one.
    const clash = await bpkg(root, ['--yes', 'install', 'pinned', 'hello@1.2.0']);
    expect(clash.code).toBe(5);
    expect(JSON.parse((await bpkg(root, ['--json', 'list'])).stdout)).toEqual([]);
  });

  // Installed from a package file (origin 'file', which has no index): `hello@9.9.9` said 'No
  // package hello in the verified index of file' with 'Did you mean hello? `bpkg install hello`',
  // the name typed, and that command then refused (origin pinned, exit 5). It is the same answer
  // as on any box now: the version is not there, and which ones are.
  it('a package installed from a file: the versions there are, not the name typed as a guess', async () => {
    const { key, repo } = await signedRepo([
      { name: 'hello', version: '1.0.0' },
      { name: 'hello', version: '1.2.0' },
    ]);
    const root = await trustingRoot(key, repo);
    const dir = path.join(repo, 'pool/hello');
    const file = readdirSync(dir).find((f) => f.startsWith('hello_1.0.0') && f.endsWith('.bpkg'))!;
    const local = await bpkg(root, ['--yes', 'install', path.join(dir, file)]);
    expect(local.code, local.stderr).toBe(0);
    const r = await bpkg(root, ['--yes', 'install', 'hello@9.9.9']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('error: No version of hello matches 9.9.9; available: 1.0.0, 1.2.0');
    expect(r.stderr).not.toContain('Did you mean hello?');
    const json = JSON.parse((await bpkg(root, ['--json', '--yes', 'install', 'hello@9.9.9'])).stdout);
    expect(json.error.code).toBe('version-not-found');
  });
});
