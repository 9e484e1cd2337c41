/**
 * `bpkg install NAME` of a package installed as a dependency (autoremove would take it once nothing
 * needs it) marks it as installed by the admin, and that is a change the admin is told of, in one
 * line from src/present (apt: "NAME is already the newest version (1.2). NAME set to manually
 * installed."), and --json's `kept`. --dry-run says it would be marked and marks nothing. One
 * marked already says only that it is installed. The real executable.
 */
import { expect, it } from 'vitest';
import { bpkg, publishSources, signedRepo, trustingRoot } from '../helpers/pkg.js';

const SPECS = [
  { name: 'libgreet', version: '1.2.0' },
  { name: 'hello', version: '1.0.0', depends: ['libgreet>=1.0.0'] },
];

const auto = async (root: string, name: string) =>
  (JSON.parse((await bpkg(root, ['list', '--json'])).stdout) as Array<{ name: string; auto?: boolean }>).find(
    (p) => p.name === name,
  )?.auto === true;

it('says the dependency is now marked as installed by the admin; --dry-run marks nothing', async () => {
  const { key, repo } = await signedRepo(SPECS);
  const root = await trustingRoot(key, repo);
  expect((await bpkg(root, ['--yes', 'install', 'hello'])).code).toBe(0);
  expect(await auto(root, 'libgreet')).toBe(true);

  const dry = await bpkg(root, ['install', '--dry-run', 'libgreet']);
  expect(dry.code, dry.stderr).toBe(0);
  expect(dry.stdout).toContain('libgreet 1.2.0 is installed already; it would be marked as installed by you');
  const dryJson = JSON.parse((await bpkg(root, ['--json', 'install', '-s', 'libgreet'])).stdout);
  expect(dryJson).toMatchObject({ dryRun: true, changes: [], kept: ['libgreet'] });
  expect(await auto(root, 'libgreet')).toBe(true);

  const r = await bpkg(root, ['--json', 'install', 'libgreet']);
  expect(r.code, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual({ changes: [], kept: ['libgreet'], stillRunning: [], notStarted: [] });
  expect(await auto(root, 'libgreet')).toBe(false);

  // Marked already: only "already installed", as before.
  const again = await bpkg(root, ['install', 'libgreet']);
  expect(again.stdout).toContain('Nothing to do: libgreet 1.2.0 is already installed.');
  expect(again.stdout).not.toContain('marked');
  expect(JSON.parse((await bpkg(root, ['--json', 'install', 'libgreet'])).stdout).kept).toEqual([]);
});

it('the human line is the one the console and the dashboard say', async () => {
  const { key, repo } = await signedRepo(SPECS);
  const root = await trustingRoot(key, repo);
  expect((await bpkg(root, ['--yes', 'install', 'hello'])).code).toBe(0);
  const r = await bpkg(root, ['install', 'libgreet']);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.trim()).toBe(
    'libgreet 1.2.0 is installed already; marked as installed by you: autoremove keeps it',
  );
  expect(r.stdout).not.toContain('Nothing to do');
});

it('a dependency named beside a package of the admin: both said, with --dry-run as without', async () => {
  const { key, repo } = await signedRepo(SPECS);
  const root = await trustingRoot(key, repo);
  expect((await bpkg(root, ['--yes', 'install', 'hello'])).code).toBe(0);
  const dry = await bpkg(root, ['install', '--dry-run', 'libgreet', 'hello']);
  expect(dry.code, dry.stderr).toBe(0);
  expect(dry.stdout).toContain('libgreet 1.2.0 is installed already; it would be marked as installed by you');
  expect(dry.stdout).toContain('Nothing to do: hello 1.0.0 is already installed.');
  expect(await auto(root, 'libgreet')).toBe(true);
  const r = await bpkg(root, ['install', 'libgreet', 'hello']);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain('libgreet 1.2.0 is installed already; marked as installed by you');
  expect(r.stdout).toContain('Nothing to do: hello 1.0.0 is already installed.');
});

it('a dependency named to a newer version: upgraded and marked, the line naming the version it is now', async () => {
  const { key, repo } = await signedRepo(SPECS);
  const root = await trustingRoot(key, repo);
  expect((await bpkg(root, ['--yes', 'install', 'hello'])).code).toBe(0);
  await publishSources(repo, key, [...SPECS, { name: 'libgreet', version: '2.0.0' }]);
  expect((await bpkg(root, ['update'])).code).toBe(0);
  const r = await bpkg(root, ['--yes', 'install', 'libgreet@2.0.0']);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain('libgreet 2.0.0 is marked as installed by you: autoremove keeps it');
  expect(r.stdout).not.toContain('libgreet 1.2.0 is marked');
  expect(await auto(root, 'libgreet')).toBe(false);
});
