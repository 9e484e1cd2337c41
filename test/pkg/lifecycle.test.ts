import { existsSync, readlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bpkg,
  buildRepo,
  makeKey,
  makeSource,
  run,
  serveDir,
  type TestKey,
  tempDir,
} from '../helpers/pkg.js';

let key: TestKey;
let repo: string;
let srcs: string;

beforeAll(async () => {
  const base = tempDir();
  key = await makeKey(path.join(base, 'key'));
  repo = path.join(base, 'repo');
  srcs = path.join(base, 'src');
  await buildRepo(repo, key, [
    makeSource(srcs, { name: 'libtiny', version: '1.0.0', files: { 'lib/tiny.txt': 'tiny 1\n' } }),
    makeSource(srcs, {
      name: 'app',
      version: '1.0.0',
      depends: ['libtiny>=1.0.0'],
      files: { 'bin/app': '#!/bin/sh\necho app 1\n', 'share/doc': 'doc\n' },
    }),
  ]);
});

async function freshRoot(): Promise<string> {
  const root = tempDir('bp-root-');
  expect((await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint])).code).toBe(0);
  expect((await bpkg(root, ['repo', 'add', 'main', repo])).code).toBe(0);
  const up = await bpkg(root, ['update']);
  expect(up.code, up.stderr).toBe(0);
  return root;
}

describe('bpkg lifecycle through the executable', () => {
  it('installs with dependencies, lists, verifies, upgrades, rolls back and removes', async () => {
    const root = await freshRoot();
    const inst = await bpkg(root, ['--json', 'install', 'app']);
    expect(inst.code, inst.stderr).toBe(0);
    const installed = JSON.parse(inst.stdout)
      .changes.map((c: { name: string }) => c.name)
      .sort();
    expect(installed).toEqual(['app', 'libtiny']);

    const list = JSON.parse((await bpkg(root, ['list', '--json'])).stdout);
    expect(list.map((p: { name: string; version: string }) => [p.name, p.version])).toEqual([
      ['app', '1.0.0'],
      ['libtiny', '1.0.0'],
    ]);
    expect(list.find((p: { name: string }) => p.name === 'libtiny').auto).toBe(true);
    expect(readlinkSync(path.join(root, 'opt/blueprint/app/current'))).toBe('1.0.0');
    expect(await readFile(path.join(root, 'opt/blueprint/app/current/bin/app'), 'utf8')).toContain('app 1');
    expect((await bpkg(root, ['verify'])).code).toBe(0);

    // remove refuses to break a dependent
    const refused = await bpkg(root, ['remove', 'libtiny']);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('needed by app');

    // a new version appears: upgrade keeps the old one for rollback
    await buildRepo(repo, key, [
      makeSource(srcs, {
        name: 'app',
        version: '1.1.0',
        depends: ['libtiny'],
        files: { 'bin/app': '#!/bin/sh\necho app 2\n' },
      }),
    ]);
    expect((await bpkg(root, ['update'])).code).toBe(0);
    const up = await bpkg(root, ['--json', 'upgrade']);
    expect(up.code, up.stderr).toBe(0);
    expect(JSON.parse(up.stdout).changes).toMatchObject([{ name: 'app', from: '1.0.0', to: '1.1.0' }]);
    expect(readlinkSync(path.join(root, 'opt/blueprint/app/current'))).toBe('1.1.0');
    expect(existsSync(path.join(root, 'opt/blueprint/app/1.0.0/bin/app'))).toBe(true);

    const rb = await bpkg(root, ['--json', 'rollback', 'app']);
    expect(rb.code, rb.stderr).toBe(0);
    expect(readlinkSync(path.join(root, 'opt/blueprint/app/current'))).toBe('1.0.0');
    expect(await readFile(path.join(root, 'opt/blueprint/app/current/bin/app'), 'utf8')).toContain('app 1');

    // tampering with an installed file is reported by verify
    writeFileSync(path.join(root, 'opt/blueprint/app/1.0.0/share/doc'), 'changed');
    const ver = await bpkg(root, ['--json', 'verify', 'app']);
    expect(ver.code).toBe(4);
    expect(JSON.parse(ver.stdout)[0].problems).toEqual([{ path: 'share/doc', problem: 'modified' }]);

    expect((await bpkg(root, ['remove', 'app', 'libtiny'])).code).toBe(0);
    expect(JSON.parse((await bpkg(root, ['list', '--json'])).stdout)).toEqual([]);
    expect(existsSync(path.join(root, 'opt/blueprint/app'))).toBe(false);
  });

  it('searches and shows info from the verified index', async () => {
    const root = await freshRoot();
    const hits = JSON.parse((await bpkg(root, ['search', 'tiny', '--json'])).stdout);
    expect(hits.map((h: { name: string }) => h.name)).toEqual(['libtiny']);
    const info = JSON.parse((await bpkg(root, ['info', 'app', '--json'])).stdout);
    expect(info.available.find((a: { version: string }) => a.version === '1.0.0').depends).toEqual([
      'libtiny>=1.0.0',
    ]);
    const missing = await bpkg(root, ['info', 'nope']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/hint:/);
  });

  it('installs a single signed .bpkg file offline, and `blueprint pkg` is the same as `bpkg`', async () => {
    const root = tempDir('bp-root-');
    await run(['--root', root, 'pkg', 'key', 'add', key.publicFile, '--fingerprint', key.fingerprint]);
    const file = path.join(repo, 'pool/libtiny/libtiny_1.0.0_all.bpkg');
    const r = await run(['--root', root, '--json', 'pkg', 'install', file]);
    expect(r.code, r.stderr).toBe(0);
    const status = await run(['--root', root, '--json', 'status']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      setUp: false,
      packages: [{ name: 'libtiny', version: '1.0.0' }],
    });
    expect(JSON.parse((await bpkg(root, ['list', '--json'])).stdout)[0]).toMatchObject({
      name: 'libtiny',
      origin: 'file',
      signer: key.fingerprint,
    });
  });

  it('works against a repository served over HTTP on 127.0.0.1', async () => {
    const server = await serveDir(repo);
    try {
      const root = tempDir('bp-root-');
      await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint]);
      await bpkg(root, ['repo', 'add', 'web', `${server.url}/`]);
      expect((await bpkg(root, ['update'])).code).toBe(0);
      const r = await bpkg(root, ['install', 'libtiny']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/downloading libtiny: 100%/);
    } finally {
      server.close();
    }
  });

  it('refuses to trust a key whose fingerprint differs from the pin', async () => {
    const root = tempDir('bp-root-');
    const other = await makeKey(path.join(tempDir(), 'k'));
    const r = await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', other.fingerprint]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('does not match');
    expect(JSON.parse((await bpkg(root, ['key', 'list', '--json'])).stdout)).toEqual([]);
  });
});

describe('command line surface', () => {
  it('every command has --help, and bad usage exits 2 with a hint', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    for (const cmd of [
      'install',
      'remove',
      'list',
      'search',
      'info',
      'update',
      'upgrade',
      'rollback',
      'verify',
      'repo',
      'key',
    ]) {
      const h = await run(['pkg', cmd, '--help']);
      expect(h.code).toBe(0);
      expect(h.stdout).toContain(`Usage: blueprint pkg ${cmd}`);
    }
    const bad = await run(['pkg', 'install', '--frobnicate', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/hint:/);
  });

  it('--json version is one JSON document, and runs with no Node on PATH', async () => {
    const r = await run(['--json', 'version'], { env: { PATH: '/nonexistent' } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).node).toMatch(/^24\./);
  });

  it('every command works on an empty root and reports errors as JSON with --json', async () => {
    const root = tempDir('bp-empty-');
    expect(JSON.parse((await bpkg(root, ['list', '--json'])).stdout)).toEqual([]);
    const r = await bpkg(root, ['update', '--json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).error).toMatchObject({
      code: 'not-found',
      hint: expect.stringMatching(/`bpkg (--root \S+ )?repo add NAME URL/),
    });
  });
});
