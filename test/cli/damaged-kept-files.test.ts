/**
 * The other files blueprint keeps for itself (after test/cli/damaged-state-file): a package's file
 * list, the transaction journal, a repository's meta.json, a service's restart record. Cut short or
 * of the wrong shape, each was read with a plain JSON.parse: V8's message, 'This is a bug in
 * blueprint', exit 1, no file named (or a property's TypeError). Now each names the file and what
 * to do (damaged-file, exit 7), or is rebuilt where that is safe: a file list by the reinstall that
 * verify names, a restart record by the admin's next stop or start. The real executable.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseService } from '../../src/core/services/schema.js';
import { consumerSpec, register, tokenRoot } from '../helpers/client-token-box.js';
import { bpkg, GOOD, makeKey, run, signedRepo, tempDir, trustingRoot } from '../helpers/pkg.js';

type Result = { code: number; stdout: string; stderr: string };

function judge(r: Result, file: string, hint: RegExp): void {
  expect(r.code, r.stderr).toBe(7);
  expect(r.stderr).toContain(`error: ${file} is damaged`);
  expect(r.stderr).not.toContain('bug in blueprint');
  expect(r.stderr).toMatch(hint);
}

async function installedGood(): Promise<string> {
  const { key, repo } = await signedRepo([GOOD]);
  const root = await trustingRoot(key, repo);
  const r = await bpkg(root, ['install', 'good']);
  expect(r.code, r.stderr).toBe(0);
  return root;
}

const pkgState = (root: string) => path.join(root, 'var/lib/blueprint/pkg');

describe('a package’s file list damaged', () => {
  it.each(['{"name":"good","vers', '{"name":"good","files":7}', 'null'])(
    '%s: verify names it (not a bug), and the reinstall it names writes it again',
    async (text) => {
      const root = await installedGood();
      const list = path.join(pkgState(root), 'files/good_1.0.0.json');
      writeFileSync(list, text);
      const v = await bpkg(root, ['verify']);
      expect(v.code, v.stderr).toBe(4);
      expect(v.stdout).toContain(`damaged: ${list}`);
      expect(v.stdout).toContain(`\`bpkg --root ${root} install good --reinstall\``);
      expect(`${v.stdout}${v.stderr}`).not.toContain('bug in blueprint');
      const again = await bpkg(root, ['install', 'good', '--reinstall']);
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(readFileSync(list, 'utf8')).files.length).toBeGreaterThan(0);
      expect((await bpkg(root, ['verify'])).code).toBe(0);
    },
  );
});

describe('the transaction journal damaged', () => {
  it.each(['{"txid":"a","op":"ins', '{"txid":"a","changes":3}'])(
    '%s: list and install name it, exit 7, what to do',
    async (text) => {
      const root = await installedGood();
      const journal = path.join(pkgState(root), 'journal.json');
      writeFileSync(journal, text);
      for (const argv of [['list'], ['install', 'good'], ['recover']])
        judge(await bpkg(root, argv), journal, /hint: .*bpkg --root \S+ verify/);
      const json = await bpkg(root, ['--json', 'list']);
      expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'damaged-file' });
      // The hint works: moved aside, the box is as the database says.
      rmSync(journal);
      expect((await bpkg(root, ['verify'])).code).toBe(0);
      expect((await bpkg(root, ['list'])).stdout).toContain('good');
    },
  );
});

describe('a repository’s meta.json damaged', () => {
  it.each(['{"name":"main","url":', '[]'])(
    '%s: search, info, install and update name it; the hint works',
    async (text) => {
      const { key, repo } = await signedRepo([GOOD]);
      const root = await trustingRoot(key, repo);
      const dir = path.join(pkgState(root), 'lists/main');
      const meta = path.join(dir, 'meta.json');
      writeFileSync(meta, text);
      for (const argv of [
        ['search', 'good'],
        ['info', 'good'],
        ['install', 'good'],
      ])
        judge(await bpkg(root, argv), meta, /hint: .*bpkg --root \S+ update/);
      const u = await bpkg(root, ['update']);
      expect(u.code).not.toBe(0);
      expect(`${u.stdout}${u.stderr}`).toContain(`${meta} is damaged`);
      expect(`${u.stdout}${u.stderr}`).not.toContain('bug in blueprint');
      rmSync(dir, { recursive: true });
      expect((await bpkg(root, ['update'])).code).toBe(0);
      expect((await bpkg(root, ['install', 'good'])).code).toBe(0);
    },
  );
});

describe('a service’s restart record damaged', () => {
  it.each(['{"crashes":1,"rest', '[1]'])(
    '%s: status names it and what to do; stop writes it anew',
    async (text) => {
      const root = tokenRoot('bp-damaged-restarts-');
      await register(root, 'hello', consumerSpec('/run/hello'));
      const record = path.join(root, 'var/lib/blueprint/services/hello/restarts.json');
      mkdirSync(path.dirname(record), { recursive: true });
      writeFileSync(record, text);
      judge(
        await run(['--root', root, 'service', 'status', 'hello']),
        record,
        /hint: .*service (start|stop)/,
      );
      const stop = await run(['--root', root, 'service', 'stop', 'hello']);
      expect(stop.stderr).not.toContain('bug in blueprint');
      expect(stop.stderr).not.toContain('is damaged');
      expect(existsSync(record)).toBe(true);
      expect(JSON.parse(readFileSync(record, 'utf8'))).toMatchObject({ held: true });
      // 3: not running (never started here), as for a service that never had a record.
      const s = await run(['--root', root, 'service', 'status', 'hello']);
      expect(s.code, s.stderr).toBe(3);
      expect(s.stderr).toBe('');
      expect(s.stdout).toContain('hello');
    },
  );
});

describe('installed.json damaged, read by the services', () => {
  it.each([
    '{"format":1,"txid":"a","packa',
    '{"format":1,"packages":7}',
    // A version joined to opt/blueprint/model-x: a folder outside it mounted (test/security/installed-db-names).
    '{"format":1,"txid":"a","packages":{"model-x":{"name":"model-x","version":"../../../../etc"}}}',
  ])('%s: service inspect (and start of a module with package mounts) name it, exit 7', async (text) => {
    const root = tokenRoot('bp-damaged-db-services-');
    const spec = parseService({
      image: { id: `sha256:${'a'.repeat(64)}` },
      network: 'loopback-socket',
      socket: { dir: '/run/mounter', file: 's' },
      packageMounts: [{ packages: 'model-*', source: 'models', target: '/models' }],
    });
    await register(root, 'mounter', spec);
    const db = path.join(root, 'var/lib/blueprint/pkg/installed.json');
    mkdirSync(path.dirname(db), { recursive: true });
    writeFileSync(db, text);
    for (const cmd of ['inspect', 'start'])
      judge(await run(['--root', root, 'service', cmd, 'mounter']), db, /hint: .*backup/);
    // Without package mounts: inspect's signer (before: taken as none, silently).
    await register(root, 'plain', consumerSpec('/run/plain'));
    judge(await run(['--root', root, 'service', 'inspect', 'plain']), db, /hint: .*backup/);
  });
});

describe('setup’s network choices damaged', () => {
  it.each(['{"network":{"dns', '"x"', '[]'])(
    '%s: bpkg repo add names etc/blueprint/network.json (the firewall follows the repositories), exit 7',
    async (text) => {
      const root = tempDir('bp-damaged-network-');
      const file = path.join(root, 'etc/blueprint/network.json');
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
      const key = await makeKey(path.join(tempDir(), 'key'));
      expect((await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint])).code).toBe(
        0,
      );
      const r = await bpkg(root, ['repo', 'add', 'main', 'https://example.org/r', '--key', key.fingerprint]);
      judge(r, file, /hint: .*blueprint --root \S+ apply/);
      expect(readFileSync(file, 'utf8')).toBe(text);
    },
  );
});

describe('installed.json of the wrong shape, read by the quick paths', () => {
  it.each([
    ['search', 'good'],
    ['list', '--upgradable'],
    ['upgrade', '--dry-run'],
  ])('bpkg %s %s names it (the quick path gives way to the package manager), exit 7', async (...argv) => {
    const { key, repo } = await signedRepo([GOOD]);
    const root = await trustingRoot(key, repo);
    const db = path.join(pkgState(root), 'installed.json');
    // Not a database; an entry not a package's name and version (test/security/installed-db-names).
    const entry = { name: '../x', version: '1.0.0', origin: 'main', signer: key.fingerprint };
    for (const text of [
      '{"format":1,"txid":"a","packages":7}',
      JSON.stringify({ format: 1, txid: 'a', packages: { '../x': entry } }),
    ]) {
      writeFileSync(db, text);
      judge(await bpkg(root, argv), db, /hint: .*backup/);
    }
  });
});

describe('etc/blueprint/config.json the engine socket is read from', () => {
  it.each([
    ['{"engine":{"sock', /config\.json is not JSON/],
    [
      '{"engine":{"socket":"run/podman.sock"}}',
      /engine\.socket is "run\/podman\.sock", not the absolute path/,
    ],
  ])('%s: service status says so (exit 2), not the default engine taken silently', async (text, said) => {
    const root = tokenRoot('bp-damaged-config-');
    await register(root, 'hello', consumerSpec('/run/hello'));
    const file = path.join(root, 'etc/blueprint/config.json');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    const r = await run(['--root', root, 'service', 'status', 'hello']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(said);
    expect(r.stderr).toContain(file);
    expect(r.stderr).not.toContain('bug in blueprint');
  });
});
