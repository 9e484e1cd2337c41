/**
 * `bpkg repo add main URL` for a repository already configured with that URL said 'added repository
 * main (…); run `bpkg update`' and wrote its file again, as if it had done something. Now: the same
 * URL and nothing new says it is already configured (exit 0, the file untouched); the same URL with
 * another key says the binding changed and what it was; another URL is refused (exit 5), the file
 * untouched, and the hint says how to point the name elsewhere (remove it, then add it with the new
 * URL) or to add the URL as a mirror. The real executable.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkg, GOOD, makeKey, repoFile, signedRepo, tempDir, trustingRoot } from '../helpers/pkg.js';

const snapshot = (f: string) => {
  const s = statSync(f);
  return { bytes: readFileSync(f, 'utf8'), ino: s.ino, mtime: s.mtimeMs };
};

describe('repo add of a name already configured', () => {
  it('the same URL and nothing new: already configured, exit 0, nothing rewritten', async () => {
    const { key, repo } = await signedRepo([GOOD]);
    const root = await trustingRoot(key, repo);
    const before = snapshot(repoFile(root));
    const r = await bpkg(root, ['repo', 'add', 'main', repo]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('repository main is already configured');
    expect(r.stdout).not.toContain('added');
    // --key given again with the key it is bound to: the same.
    const same = await bpkg(root, ['--json', 'repo', 'add', 'main', repo, '--key', key.fingerprint]);
    expect(same.code, same.stderr).toBe(0);
    expect(JSON.parse(same.stdout)).toMatchObject({ name: 'main', status: 'unchanged' });
    expect(snapshot(repoFile(root))).toEqual(before);

    // A new name is added as before.
    const web = await bpkg(root, ['--json', 'repo', 'add', 'other', repo, '--key', key.fingerprint]);
    expect(JSON.parse(web.stdout)).toMatchObject({ name: 'other', status: 'added' });
  });

  it('the same URL with another key: says the binding changed, and from what', async () => {
    const { key, repo } = await signedRepo([GOOD]);
    const root = await trustingRoot(key, repo);
    const second = await makeKey(path.join(tempDir(), 'key2'));
    expect(
      (await bpkg(root, ['key', 'add', second.publicFile, '--fingerprint', second.fingerprint])).code,
    ).toBe(0);
    const r = await bpkg(root, ['repo', 'add', 'main', repo, '--key', second.fingerprint]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('added');
    expect(r.stdout).toContain(
      `repository main is now signed by ${second.fingerprint.toUpperCase()} (was ${key.fingerprint.toUpperCase()})`,
    );
    expect(JSON.parse(readFileSync(repoFile(root), 'utf8')).keys).toEqual([second.fingerprint.toLowerCase()]);
  });

  it('another URL: refused (exit 5), nothing rewritten, the hint says how to change it', async () => {
    const { key, repo } = await signedRepo([GOOD]);
    const root = await trustingRoot(key, repo);
    const before = snapshot(repoFile(root));
    const elsewhere = (await signedRepo([GOOD], key)).repo;
    const r = await bpkg(root, ['repo', 'add', 'main', elsewhere]);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain(`Repository main already exists with URL file://${repo}`);
    // The hint's commands carry --root ROOT (src/cli's hints do for a root not /).
    const hint = r.stderr.replaceAll(`--root ${root} `, '');
    expect(hint).toContain('`bpkg repo remove main`');
    // With the key it is bound to: removed and added again, it is signed by the same key.
    expect(hint).toContain(
      `\`bpkg repo add main file://${elsewhere} --key ${key.fingerprint.toUpperCase()}\``,
    );
    expect(hint).toContain(`\`bpkg repo add main file://${repo} --mirror file://${elsewhere}\``);
    expect(snapshot(repoFile(root))).toEqual(before);
  });
});
