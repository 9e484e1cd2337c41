import path from 'node:path';
import { expect } from 'vitest';
import { buildRepository } from '../../src/core/pkg/index.js';
import { bpkg, makeKey, makeSource, type SourceSpec, type TestKey, tempDir } from './pkg.js';

/** Builds (or rebuilds, raising the index version) repository `name` at `repoDir`, signed by `key`. */
export async function publishAs(repoDir: string, name: string, key: TestKey, specs: SourceSpec[]) {
  const src = tempDir('bp-src-');
  return buildRepository({
    sources: specs.map((s) => makeSource(src, s)),
    repoDir,
    name,
    signer: { keyFile: key.privateFile },
  });
}

/** The file of package NAME VERSION (arch all) in a repository built by publishAs. */
export const poolFile = (repoDir: string, name: string, version: string) =>
  path.join(repoDir, `pool/${name}/${name}_${version}_all.bpkg`);

/**
 * Two keys, both trusted on a box, each bound to its own repository (as `bpkg repo add --key`
 * binds it): repository a signed by key A, b by key B, both fetched once with `bpkg update`.
 */
export async function twoRepoRoot(a: SourceSpec[], b: SourceSpec[]) {
  const keys = tempDir('bp-keys-');
  const [keyA, keyB] = await Promise.all([
    makeKey(path.join(keys, 'a'), { name: 'Repository A' }),
    makeKey(path.join(keys, 'b'), { name: 'Repository B' }),
  ]);
  const base = tempDir('bp-repos-');
  const repoA = path.join(base, 'a');
  const repoB = path.join(base, 'b');
  await publishAs(repoA, 'a', keyA, a);
  await publishAs(repoB, 'b', keyB, b);
  const root = tempDir('bp-root-');
  for (const k of [keyA, keyB])
    expect((await bpkg(root, ['key', 'add', k.publicFile, '--fingerprint', k.fingerprint])).code).toBe(0);
  expect((await bpkg(root, ['repo', 'add', 'a', repoA, '--key', keyA.fingerprint])).code).toBe(0);
  expect((await bpkg(root, ['repo', 'add', 'b', repoB, '--key', keyB.fingerprint])).code).toBe(0);
  const up = await bpkg(root, ['update']);
  expect(up.code, up.stderr).toBe(0);
  return { root, keyA, keyB, repoA, repoB };
}

/** The `error:` line a command printed. */
export const errorLine = (stderr: string) => stderr.split('\n').find((l) => l.startsWith('error:'));
