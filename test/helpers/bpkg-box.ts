import { expect } from 'vitest';
import { bpkg, signedRepo, type TestKey, tempDir } from './pkg.js';

/**
 * A new box, made with the executable as an admin makes one: in a fresh temp folder (`tag` its
 * prefix), `bpkg key add` of `key`, `bpkg repo add main REPO` and `bpkg update`, each exiting 0.
 */
export async function bpkgBox(tag: string, key: TestKey, repo: string): Promise<string> {
  const root = tempDir(tag);
  expect((await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint])).code).toBe(0);
  expect((await bpkg(root, ['repo', 'add', 'main', repo])).code).toBe(0);
  expect((await bpkg(root, ['update'])).code).toBe(0);
  return root;
}

/**
 * `bpkg` on the box at `root` for the steps a test stands on: each call must exit 0 (its words and
 * output are said when not) and gives back its result.
 */
export const bpkgOk =
  (root: string) =>
  async (...args: string[]) => {
    const r = await bpkg(root, args);
    expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
    return r;
  };

/** `bpkg --json rollback app` on the box at `root`, refused: it exits 4 (its output said when not); its JSON error. */
export async function rollbackRefusal(
  root: string,
): Promise<{ code: string; message: string; hint: string }> {
  const r = await bpkg(root, ['--json', 'rollback', 'app']);
  expect(r.code, r.stdout + r.stderr).toBe(4);
  return JSON.parse(r.stdout).error;
}

/** The names of the packages installed on the box at `root`, as `bpkg list --json` gives them. */
export const installedNames = async (root: string): Promise<string[]> =>
  JSON.parse((await bpkg(root, ['list', '--json'])).stdout).map((p: { name: string }) => p.name);

/**
 * A box (bpkgBox, `tag` its prefix) that installed app 1.0.0 from `main` and then app 2.0.0 from a
 * second repository, `second`, signed by another key (added with `--key`): a rollback's way back to
 * a version of another origin and signer. Each step must exit 0.
 */
export async function appFromTwoSigners(
  tag: string,
  second: string,
): Promise<{
  root: string;
  first: { key: TestKey; repo: string };
  next: { key: TestKey; repo: string };
  ok: ReturnType<typeof bpkgOk>;
}> {
  const first = await signedRepo([{ name: 'app', version: '1.0.0' }]);
  const next = await signedRepo([{ name: 'app', version: '2.0.0' }]);
  const root = await bpkgBox(tag, first.key, first.repo);
  const ok = bpkgOk(root);
  await ok('key', 'add', next.key.publicFile, '--fingerprint', next.key.fingerprint);
  await ok('repo', 'add', second, next.repo, '--key', next.key.fingerprint);
  await ok('update');
  await ok('install', 'app@1.0.0', '--yes');
  await ok('install', 'app', '--from', second, '--yes');
  return { root, first, next, ok };
}
