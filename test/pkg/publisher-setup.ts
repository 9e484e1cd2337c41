/**
 * What test/pkg/publisher*.test.ts share: a signing key, a box trusting a repository built from
 * sources, a refusal caught, and the built executable run in a folder.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, expect } from 'vitest';
import { PackageManager } from '../../src/core/pkg/index.js';
import {
  blueprintExe,
  buildRepo,
  makeKey,
  makeSource,
  type TestKey,
  tempDir,
  trustingRoot,
} from '../helpers/pkg.js';

export const exec = promisify(execFile);

export let key: TestKey;
/** Makes the test file's signing key (`key`) before its tests. */
export function withPublisherKey(): void {
  beforeAll(async () => {
    key = await makeKey(path.join(tempDir(), 'key'));
  });
}

/** A fresh repository of sources, a box that trusts it, and the warnings its manager gave. */
export async function box(sources: (srcs: string) => string[]) {
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

export const pkg = (srcs: string, name: string, version: string, depends: string[] = []) =>
  makeSource(srcs, { name, version, depends });

export async function failure(p: Promise<unknown>) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected a refusal').toBeInstanceOf(Error);
  return err as Error & { code: string; exitCode: number; hint?: string };
}

/** Runs the built executable in `cwd`; never rejects. */
export async function cli(args: string[], cwd: string) {
  return exec(blueprintExe, args, { cwd, env: { PATH: '/usr/bin:/bin', HOME: cwd } }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );
}
