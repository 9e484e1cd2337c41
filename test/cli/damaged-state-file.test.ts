/**
 * A file blueprint keeps for itself that is not what it wrote (cut short by a disk fault, edited by
 * hand): the installed-package database, a repository's configuration, `repo build`'s previous
 * index.json. Each was reported as a bug in blueprint (`error: Unterminated string in JSON at
 * position 29`, 'This is a bug in blueprint; please report it', exit 1), naming no file. Now a
 * typed error (damaged-file, exit 7, a storage fault) names the file and says what to do, and the
 * hint is what works: the database moved aside, the package installs again. The real executable.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkg, GOOD, makeKey, makeSource, run, signedRepo, tempDir, trustingRoot } from '../helpers/pkg.js';

const dbOf = (root: string) => path.join(root, 'var/lib/blueprint/pkg/installed.json');

function rootWithDb(content: string): string {
  const root = tempDir('bp-damaged-');
  mkdirSync(path.dirname(dbOf(root)), { recursive: true });
  writeFileSync(dbOf(root), content);
  return root;
}

function judge(r: { code: number; stdout: string; stderr: string }, file: string): void {
  expect(r.code, r.stderr).toBe(7);
  expect(r.stderr).toContain(`error: ${file} is damaged`);
  expect(r.stderr).not.toContain('bug in blueprint');
  expect(r.stderr).toMatch(/hint: .*backup/);
}

describe('a damaged file of blueprint’s own', () => {
  it.each([['list'], ['search', 'x'], ['install', 'good'], ['remove', 'good'], ['verify'], ['upgrade']])(
    'installed.json cut short: bpkg %s names it, exit 7, what to do',
    async (...argv) => {
      const root = rootWithDb('{"format":1,"txid":"a","packa');
      judge(await bpkg(root, argv), dbOf(root));
      const json = await bpkg(root, ['--json', ...argv]);
      expect(json.code).toBe(7);
      expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'damaged-file' });
    },
  );

  it.each(['[]', '"x"', '{"format":1,"packages":7}'])(
    'installed.json %s (JSON, not a database)',
    async (text) => {
      const root = rootWithDb(text);
      judge(await bpkg(root, ['list']), dbOf(root));
    },
  );

  it('the hint works: moved aside, the package installs again', async () => {
    const { key, repo } = await signedRepo([GOOD]);
    const root = await trustingRoot(key, repo);
    expect((await bpkg(root, ['install', 'good'])).code).toBe(0);
    writeFileSync(dbOf(root), '{"format":1,"txid":"');
    const r = await bpkg(root, ['list']);
    judge(r, dbOf(root));
    expect(r.stderr).toContain(`bpkg --root ${root} install NAME`);
    renameSync(dbOf(root), `${dbOf(root)}.bad`);
    const again = await bpkg(root, ['install', 'good']);
    expect(again.code, again.stderr).toBe(0);
    expect((await bpkg(root, ['list'])).stdout).toContain('good');
    expect((await bpkg(root, ['verify'])).code).toBe(0);
  });

  it('a repository configuration not JSON: bpkg repo list names it', async () => {
    const root = tempDir('bp-damaged-');
    const file = path.join(root, 'etc/blueprint/repos.d/main.json');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, '{"name":');
    judge(await bpkg(root, ['repo', 'list']), file);
  });

  it('repo build over a previous index.json that is not JSON: names it, says not to drop it', async () => {
    const key = await makeKey(path.join(tempDir(), 'key'));
    const repo = tempDir('bp-damaged-repo-');
    writeFileSync(path.join(repo, 'index.json'), '{"format":1,"version":4');
    const src = makeSource(tempDir('bp-src-'), GOOD);
    const r = await run(['repo', 'build', src, '--repo', repo, '--key', key.privateFile]);
    judge(r, path.join(repo, 'index.json'));
    expect(r.stderr).toMatch(/version/);
  });
});
