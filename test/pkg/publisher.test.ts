import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { signFile } from '../../src/core/pkg/build.js';
import { bpkg, buildRepo, tempDir } from '../helpers/pkg.js';
import { helloCopy } from '../services/helpers.js';
import { box, cli, exec, failure, key, pkg, withPublisherKey } from './publisher-setup.js';

withPublisherKey();

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

const podman = existsSync('/usr/bin/podman') && existsSync('/usr/bin/gcc');

describe('bugs 4 and 5: repo build of a module', () => {
  it.skipIf(!podman)(
    'builds a relative source path, and leaves no image behind in Podman',
    async () => {
      // modules/hello: its build.sh compiles a static binary, run from inside the source folder.
      const base = tempDir();
      // Its image its own: the same contents give the ID of the demo's hello, which stays in Podman.
      helloCopy(path.join(base, 'hello'));
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
