// A box that uses a repository, for benches of what reads the package state (the console's
// Dashboard counts updates at its first paint and every 2 s): a signed folder repository of one
// real package plus `n - 1` synthetic entries (as pkg.mjs's 10,000-package index), updated and
// with the real package installed, all through the executable as an admin would.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Index entry number `i` of a synthetic repository (pkg.mjs's 10,000 and 100,000 packages): a name,
 * a version among 50, a summary with a word to search, every tenth depending on the one before.
 */
export function syntheticEntry(i) {
  return {
    name: `pkg-${i}`,
    version: `1.${i % 50}.0`,
    arch: 'all',
    summary: `Synthetic package number ${i} for ${i % 7 === 0 ? 'vision' : 'text'} workloads`,
    depends: i > 0 && i % 10 === 0 ? [`pkg-${i - 1}>=1.0.0`] : [],
    size: 1000 + i,
    sha256: createHash('sha256').update(String(i)).digest('hex'),
    path: `pool/pkg-${i}/pkg-${i}_1.0.0_all.bpkg`,
  };
}

/** Makes the repository under `work` and has `root` trust it, update and install from it. */
export function repositoryBox(exe, root, work, n) {
  const bp = (...args) => execFileSync(exe, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const key = path.join(work, 'repo-key');
  bp('repo', 'keygen', '--out', key);
  const src = path.join(work, 'src-hello');
  mkdirSync(path.join(src, 'payload'), { recursive: true });
  writeFileSync(
    path.join(src, 'manifest.json'),
    JSON.stringify({ name: 'hello', version: '1.0.0', arch: 'all', summary: 'a small package' }),
  );
  writeFileSync(path.join(src, 'payload/hello.txt'), 'hello\n');
  const repo = path.join(work, 'repo');
  bp('repo', 'build', src, '--repo', repo, '--key', path.join(key, 'signing-key.asc'));
  const file = path.join(repo, 'index.json');
  const index = JSON.parse(readFileSync(file, 'utf8'));
  for (let i = 1; i < n; i++) index.packages.push(syntheticEntry(i));
  writeFileSync(file, JSON.stringify(index));
  bp('repo', 'sign', file, '--key', path.join(key, 'signing-key.asc'));
  bp('--root', root, 'pkg', 'key', 'add', path.join(key, 'signing-key.pub.asc'), '--yes');
  bp('--root', root, 'pkg', 'repo', 'add', 'main', repo);
  bp('--root', root, 'pkg', 'update');
  bp('--root', root, '--yes', 'pkg', 'install', 'hello');
  return { repo, packages: index.packages.length };
}
