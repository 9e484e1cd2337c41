/**
 * Issue 12: what a third-party publisher met. Dependency constraints that hold across upgrade and
 * rollback, one range syntax, `depends` checked against the manifest, `repo build` with relative
 * paths, lint and clean-up, `-q`, and error messages that say what to do.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { signFile } from '../../src/core/pkg/build.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import {
  blueprintExe,
  bpkg,
  buildRepo,
  makeKey,
  makeSource,
  repoRoot,
  type TestKey,
  tempDir,
  trustingRoot,
} from '../helpers/pkg.js';

const exec = promisify(execFile);

let key: TestKey;
beforeAll(async () => {
  key = await makeKey(path.join(tempDir(), 'key'));
});

/** A fresh repository of sources, a box that trusts it, and the warnings its manager gave. */
async function box(sources: (srcs: string) => string[]) {
  const base = tempDir();
  const repo = path.join(base, 'repo');
  const srcs = path.join(base, 'src');
  await buildRepo(repo, key, sources(srcs));
  const root = await trustingRoot(key, repo);
  const warnings: string[] = [];
  const pm = new PackageManager({ root, warn: (w) => warnings.push(w) });
  const publish = async (more: (srcs: string) => string[]) => {
    await buildRepo(repo, key, more(srcs));
    const [o] = await pm.update();
    expect(o?.ok, JSON.stringify(o?.error)).toBe(true);
  };
  const versions = async () =>
    Object.fromEntries((await pm.installed()).map((p) => [p.name, p.version] as const));
  return { base, repo, srcs, root, pm, warnings, publish, versions };
}

const pkg = (srcs: string, name: string, version: string, depends: string[] = []) =>
  makeSource(srcs, { name, version, depends });

async function failure(p: Promise<unknown>) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected a refusal').toBeInstanceOf(Error);
  return err as Error & { code: string; exitCode: number; hint?: string };
}

describe('bug 1: upgrade and rollback keep the constraints of installed dependents', () => {
  it('upgrade holds back a dependency pinned by an installed dependent, and says why', async () => {
    const b = await box((s) => [
      pkg(s, 'greetdata', '1.0.0'),
      pkg(s, 'greeter', '1.0.0', ['greetdata=1.0.0']),
    ]);
    await b.pm.install(['greeter']);
    await b.publish((s) => [pkg(s, 'greetdata', '2.0.0')]);
    expect(await b.pm.upgrade()).toEqual([]);
    expect(await b.versions()).toEqual({ greetdata: '1.0.0', greeter: '1.0.0' });
    expect(b.warnings.join('\n')).toMatch(/greetdata.*held back.*greeter 1\.0\.0.*greetdata=1\.0\.0/);
    expect((await b.pm.verify()).every((r) => r.ok)).toBe(true);
  });

  it('upgrade takes the newest version the dependents accept, and upgrades a dependent too', async () => {
    const b = await box((s) => [
      pkg(s, 'greetdata', '1.0.0'),
      pkg(s, 'greeter', '1.0.0', ['greetdata>=1.0.0,<2.0.0']),
    ]);
    await b.pm.install(['greeter']);
    await b.publish((s) => [pkg(s, 'greetdata', '1.1.0'), pkg(s, 'greetdata', '2.0.0')]);
    await b.pm.upgrade();
    expect(await b.versions()).toEqual({ greetdata: '1.1.0', greeter: '1.0.0' });
    // A new greeter accepts greetdata 2: both go forward together.
    await b.publish((s) => [pkg(s, 'greeter', '1.1.0', ['greetdata>=2.0.0'])]);
    await b.pm.upgrade();
    expect(await b.versions()).toEqual({ greetdata: '2.0.0', greeter: '1.1.0' });
  });

  it('installing a version that breaks an installed dependent is refused, naming it (exit 5)', async () => {
    const b = await box((s) => [
      pkg(s, 'greetdata', '1.0.0'),
      pkg(s, 'greetdata', '2.0.0'),
      pkg(s, 'greeter', '1.0.0', ['greetdata=1.0.0']),
    ]);
    await b.pm.install(['greeter']);
    const err = await failure(b.pm.install(['greetdata@2.0.0']));
    expect(err.exitCode).toBe(5);
    expect(err.code).toBe('dependency-conflict');
    expect(err.message).toContain('greeter 1.0.0 needs greetdata=1.0.0');
    expect(await b.versions()).toEqual({ greetdata: '1.0.0', greeter: '1.0.0' });
  });

  it('rollback refuses to break a dependent (exit 5, named), rolls both back together, upgrade goes forward again', async () => {
    const b = await box((s) => [
      pkg(s, 'greetdata', '1.0.0'),
      pkg(s, 'greeter', '1.0.0', ['greetdata>=1.0.0']),
    ]);
    await b.pm.install(['greeter']);
    await b.publish((s) => [pkg(s, 'greetdata', '2.0.0'), pkg(s, 'greeter', '1.1.0', ['greetdata>=2.0.0'])]);
    await b.pm.upgrade();
    expect(await b.versions()).toEqual({ greetdata: '2.0.0', greeter: '1.1.0' });

    const err = await failure(b.pm.rollback('greetdata'));
    expect(err.exitCode).toBe(5);
    expect(err.message).toContain('greeter 1.1.0 needs greetdata>=2.0.0');
    expect(err.hint).toContain('bpkg rollback greetdata greeter');
    expect(await b.versions()).toEqual({ greetdata: '2.0.0', greeter: '1.1.0' });

    await b.pm.rollbackAll(['greetdata', 'greeter']);
    expect(await b.versions()).toEqual({ greetdata: '1.0.0', greeter: '1.0.0' });
    expect((await b.pm.verify()).every((r) => r.ok)).toBe(true);
    await b.pm.upgrade();
    expect(await b.versions()).toEqual({ greetdata: '2.0.0', greeter: '1.1.0' });
  });

  it('verify reports a broken constraint', async () => {
    const b = await box((s) => [
      pkg(s, 'greetdata', '1.0.0'),
      pkg(s, 'greeter', '1.0.0', ['greetdata=1.0.0']),
    ]);
    await b.pm.install(['greeter']);
    await b.pm.remove(['greetdata'], { force: true });
    const [report] = await b.pm.verify('greeter');
    expect(report?.ok).toBe(false);
    expect(report?.problems).toContainEqual({ path: 'greetdata=1.0.0', problem: 'unsatisfied-dependency' });
  });
});

describe('bug 2: one range syntax, refused early when it cannot be resolved', () => {
  it('a comma-separated range installs the newest version inside it', async () => {
    const b = await box((s) => [
      pkg(s, 'greetdata', '1.0.0'),
      pkg(s, 'greetdata', '1.5.0'),
      pkg(s, 'greetdata', '2.0.0'),
      pkg(s, 'greeter', '1.0.0', ['greetdata>=1.0.0,<2.0.0']),
    ]);
    await b.pm.install(['greeter']);
    expect(await b.versions()).toEqual({ greetdata: '1.5.0', greeter: '1.0.0' });
  });

  it('update refuses an index whose dependency cannot be resolved (not a semantic version, empty range)', async () => {
    for (const dep of ['greetdata>=1.0.0.1', 'greetdata>=2.0.0,<1.0.0', 'greetdata>=1.0.0 <2.0.0']) {
      const b = await box((s) => [pkg(s, 'greetdata', '1.0.0'), pkg(s, 'greeter', '1.0.0')]);
      await rewriteIndex(b.repo, (p) => (p.name === 'greeter' ? { ...p, depends: [dep] } : p));
      const [o] = await b.pm.update();
      expect(o?.ok, dep).toBe(false);
      expect(o?.error?.code, dep).toBe('bad-index');
      expect(o?.error?.message, dep).toContain('depends');
    }
  });

  it('repo build refuses a dependency that no version in the repository satisfies', async () => {
    const base = tempDir();
    const srcs = path.join(base, 'src');
    const err = await failure(
      buildRepo(path.join(base, 'repo'), key, [
        pkg(srcs, 'greetdata', '1.0.0'),
        pkg(srcs, 'greeter', '1.0.0', ['greetdata>=2.0.0']),
      ]),
    );
    expect(err.code).toBe('dependency-conflict');
    expect(err.message).toContain('greeter 1.0.0 needs greetdata>=2.0.0');
    expect(existsSync(path.join(base, 'repo/index.json'))).toBe(false);
  });
});

type Entry = { name: string; depends?: string[] } & Record<string, unknown>;
/** Edits a built index by hand, with a higher version, and signs it again (as a publisher would). */
async function rewriteIndex(repo: string, edit: (p: Entry) => Entry) {
  const file = path.join(repo, 'index.json');
  const index = JSON.parse(readFileSync(file, 'utf8'));
  index.packages = index.packages.map(edit);
  index.version += 1;
  writeFileSync(file, JSON.stringify(index, null, 2));
  await signFile(file, { keyFile: key.privateFile });
}

describe('bug 3: the index entry and the manifest agree on depends', () => {
  it('refuses a package whose index entry left out its depends, and nothing is installed', async () => {
    const b = await box((s) => [
      pkg(s, 'greetdata', '1.0.0'),
      pkg(s, 'greeter', '1.0.0', ['greetdata=1.0.0']),
    ]);
    await rewriteIndex(b.repo, ({ depends: _, ...p }) => p);
    expect((await b.pm.update())[0]?.ok).toBe(true);
    const err = await failure(b.pm.install(['greeter']));
    expect(err.code).toBe('manifest-mismatch');
    expect(err.message).toContain('depends');
    expect(await b.versions()).toEqual({});
  });
});

/** Runs the built executable in `cwd`; never rejects. */
async function cli(args: string[], cwd: string) {
  return exec(blueprintExe, args, { cwd, env: { PATH: '/usr/bin:/bin', HOME: cwd } }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );
}

const podman = existsSync('/usr/bin/podman') && existsSync('/usr/bin/gcc');

describe('bugs 4 and 5: repo build of a module', () => {
  it.skipIf(!podman)(
    'builds a relative source path, and leaves no image behind in Podman',
    async () => {
      // modules/hello: its build.sh compiles a static binary, run from inside the source folder.
      const base = tempDir();
      cpSync(path.join(repoRoot, 'modules/hello'), path.join(base, 'hello'), {
        recursive: true,
        filter: (f) => !f.includes('/rootfs'),
      });
      const r = await cli(['repo', 'build', 'hello', '--repo', 'repo', '--key', key.privateFile], base);
      expect(r.code, r.stderr).toBe(0);
      const index = JSON.parse(readFileSync(path.join(base, 'repo/index.json'), 'utf8'));
      expect(index.packages.map((p: { name: string }) => p.name)).toEqual(['hello']);
      const { stdout } = await exec('tar', [
        '-xzOf',
        path.join(base, 'repo', index.packages[0].path),
        'manifest.json',
      ]);
      const id = JSON.parse(stdout).service.image.id as string;
      const exists = await exec('podman', ['image', 'exists', id]).then(
        () => true,
        () => false,
      );
      expect(exists, `image ${id} left in Podman`).toBe(false);
    },
    240_000,
  );

  it('refuses a module that fails lint, before building anything; --no-lint is named', async () => {
    const base = tempDir();
    expect((await cli(['module', 'new', 'greetmod'], base)).code).toBe(0);
    const file = path.join(base, 'greetmod/manifest.json');
    const m = JSON.parse(readFileSync(file, 'utf8'));
    m.service.resources.memory = '2g'; // a loosening with no justification: a lint error
    writeFileSync(file, JSON.stringify(m));
    const r = await cli(['repo', 'build', 'greetmod', '--repo', 'repo', '--key', key.privateFile], base);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('lint');
    expect(r.stderr).toContain('resources.memory');
    expect(r.stderr).toContain('--no-lint');
    expect(existsSync(path.join(base, 'repo/pool/greetmod'))).toBe(false);
  });
});

describe('bug 6: -q prints only errors', () => {
  it('key add, repo add, update and install print nothing with -q', async () => {
    const base = tempDir();
    const repo = path.join(base, 'repo');
    await buildRepo(repo, key, [pkg(path.join(base, 'src'), 'greetdata', '1.0.0')]);
    const root = path.join(base, 'root');
    for (const args of [
      ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint],
      ['repo', 'add', 'main', repo, '--key', key.fingerprint],
      ['update'],
      ['install', 'greetdata'],
      ['upgrade'],
    ]) {
      const r = await bpkg(root, ['-q', ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout + r.stderr, args.join(' ')).toBe('');
    }
    // -q quiets reports of what was done; what the admin asked to see is still shown.
    expect((await bpkg(root, ['-q', 'list'])).stdout).toContain('greetdata');
  });
});

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
    expect(err.message).toContain(fpr.toLowerCase());
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
    expect(v.stdout).toContain('bpkg install greetdata --reinstall');
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
