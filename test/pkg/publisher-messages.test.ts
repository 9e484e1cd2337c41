/**
 * Issue 12, continued (publisher.test.ts): error messages that say what to do next.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { signFile } from '../../src/core/pkg/build.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { bpkg, buildRepo, tempDir } from '../helpers/pkg.js';
import { cli, exec, failure, key, pkg, withPublisherKey } from './publisher-setup.js';

withPublisherKey();

describe('error messages that say what to do', () => {
  /** A local .bpkg made with tar from `dir`, signed beside it. */
  async function localPackage(dir: string, tarArgs: string[], name = 'greetdata_1.0.0_all.bpkg') {
    const file = path.join(path.dirname(dir), name);
    await exec('tar', ['-C', dir, ...tarArgs.map((a) => (a === 'FILE' ? file : a))]);
    await signFile(file, { keyFile: key.privateFile });
    return file;
  }
  function source(files?: Record<string, string>) {
    const dir = path.join(tempDir(), 'pkg');
    mkdirSync(path.join(dir, 'payload'), { recursive: true });
    writeFileSync(path.join(dir, 'payload/greeting.txt'), 'hello\n');
    writeFileSync(
      path.join(dir, 'manifest.json'),
      JSON.stringify({
        name: 'greetdata',
        version: '1.0.0',
        arch: 'all',
        summary: 'greetings',
        ...(files ? { files } : {}),
      }),
    );
    return dir;
  }
  async function trustingBox() {
    const root = tempDir('bp-root-');
    const pm = new PackageManager({ root });
    await pm.keyring.add(key.publicKey, key.fingerprint);
    return pm;
  }

  it('an archive made with `tar -C dir .` names the ./ entry and says to archive the two entries by name', async () => {
    const file = await localPackage(source(), ['-czf', 'FILE', '.']);
    const err = await failure((await trustingBox()).install([file]));
    expect(err.message).toContain('"./"');
    expect(`${err.message} ${err.hint}`).toContain('manifest.json payload');
  });

  it('a files path written with payload/ says the paths are relative to payload/', async () => {
    const sha = (await exec('sha256sum', [path.join(source(), 'payload/greeting.txt')])).stdout.slice(0, 64);
    const file = await localPackage(source({ 'payload/greeting.txt': sha }), [
      '-czf',
      'FILE',
      'manifest.json',
      'payload',
    ]);
    const err = await failure((await trustingBox()).install([file]));
    expect(`${err.message} ${err.hint}`).toContain('relative to payload/');
    expect(`${err.message} ${err.hint}`).toContain('"greeting.txt"');
  });

  it('an xz archive says only gzip is accepted', async () => {
    const file = await localPackage(source(), ['-cJf', 'FILE', 'manifest.json', 'payload']);
    const err = await failure((await trustingBox()).install([file]));
    expect(err.message).toContain('xz');
    expect(`${err.message} ${err.hint}`).toContain('gzip');
    expect(`${err.message} ${err.hint}`).not.toContain('Download it again');
  });

  it('--fingerprint with a key ID asks for the 40-hex fingerprint; 0x before the full one is fine', async () => {
    const pm = new PackageManager({ root: tempDir('bp-root-') });
    for (const pin of [`0x${key.fingerprint.slice(-16)}`, key.fingerprint.slice(-16).toUpperCase()]) {
      const err = await failure(pm.keyring.add(key.publicKey, pin));
      expect(err.message).toContain('40');
      expect(err.message).not.toContain('does not match');
    }
    expect((await pm.keyring.add(key.publicKey, `0x${key.fingerprint.toUpperCase()}`)).fingerprint).toBe(
      key.fingerprint,
    );
  });

  it('an offline install whose dependency is missing says to pass its .bpkg too', async () => {
    const dir = source();
    const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    writeFileSync(
      path.join(dir, 'manifest.json'),
      JSON.stringify({ ...m, name: 'greeter', depends: ['greetdata'] }),
    );
    const file = await localPackage(
      dir,
      ['-czf', 'FILE', 'manifest.json', 'payload'],
      'greeter_1.0.0_all.bpkg',
    );
    const err = await failure((await trustingBox()).install([file]));
    expect(err.message).toContain('greetdata');
    expect(err.hint).toContain('.bpkg');
  });

  it('a bad signature by a subkey names the primary key fingerprint the admin trusted', async () => {
    const gnupg = tempDir('bp-gnupg-');
    const env = { ...process.env, GNUPGHOME: gnupg };
    const gpg = (...args: string[]) =>
      exec('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { env });
    await gpg('--quick-gen-key', 'Sub Publisher <sub@example.invalid>', 'ed25519', 'cert', '1y');
    const fpr = /fpr:+([0-9A-F]{40}):/.exec((await gpg('--with-colons', '--list-keys')).stdout)![1]!;
    await gpg('--quick-add-key', fpr, 'ed25519', 'sign', '1y');
    const pub = (await gpg('--armor', '--export', fpr)).stdout;
    const dir = source();
    const file = path.join(path.dirname(dir), 'greetdata_1.0.0_all.bpkg');
    await exec('tar', ['-C', dir, '-czf', file, 'manifest.json', 'payload']);
    await gpg('--detach-sign', '--armor', file);
    await exec('tar', ['-C', dir, '-czf', file, 'manifest.json', 'payload', '--owner=1']); // changed after signing
    const pm = new PackageManager({ root: tempDir('bp-root-') });
    await pm.keyring.add(pub, fpr);
    const err = await failure(pm.install([file]));
    expect(err.code).toBe('bad-signature');
    expect(err.message).toContain(fpr.toUpperCase()); // as GnuPG shows it (present/fingerprint.ts)
  });

  it('verify says how to repair, update counts in words, install lists a dependency before its dependent', async () => {
    const base = tempDir();
    const repo = path.join(base, 'repo');
    const srcs = path.join(base, 'src');
    await buildRepo(repo, key, [pkg(srcs, 'greetdata', '1.0.0')]);
    const root = path.join(base, 'root');
    await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint]);
    await bpkg(root, ['repo', 'add', 'main', repo, '--key', key.fingerprint]);
    expect((await bpkg(root, ['update'])).stdout).toContain('(1 package)');
    expect((await bpkg(root, ['repo', 'list'])).stdout).toContain('v1, 1 package ');
    await buildRepo(repo, key, [pkg(srcs, 'greeter', '1.0.0', ['greetdata'])]);
    expect((await bpkg(root, ['update'])).stdout).toContain('(2 packages)');
    const inst = await bpkg(root, ['--yes', 'install', 'greeter']);
    expect(inst.code, inst.stderr).toBe(0);
    expect(inst.stdout.indexOf('installed greetdata')).toBeGreaterThanOrEqual(0);
    expect(inst.stdout.indexOf('installed greetdata')).toBeLessThan(inst.stdout.indexOf('installed greeter'));
    writeFileSync(path.join(root, 'opt/blueprint/greetdata/current/share/README'), 'changed\n');
    const v = await bpkg(root, ['verify']);
    expect(v.code).toBe(4);
    expect(v.stdout).toContain('modified: share/README');
    expect(v.stdout).toContain(`\`bpkg --root ${root} install greetdata --reinstall\``);
  });
});

describe('the module template', () => {
  it('README "Use on a box" trusts the key and adds the repository before bpkg install', async () => {
    const base = tempDir();
    expect((await cli(['module', 'new', 'greetmod'], base)).code).toBe(0);
    const readme = readFileSync(path.join(base, 'greetmod/README.md'), 'utf8');
    const use = readme.slice(readme.indexOf('## Use on a box'));
    const at = (s: string) => use.indexOf(s);
    expect(at('bpkg key add')).toBeGreaterThan(0);
    expect(at('bpkg repo add greetmod')).toBeGreaterThan(at('bpkg key add'));
    expect(use).toMatch(/bpkg repo add greetmod \S+ --key/);
    expect(at('bpkg install greetmod')).toBeGreaterThan(at('bpkg repo add'));
    expect(readdirSync(path.join(base, 'greetmod'))).toContain('README.md');
  });
});
