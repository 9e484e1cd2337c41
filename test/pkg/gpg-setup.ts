/**
 * What test/pkg/gpg-interop and revoked-gpg-certificate share: a publisher whose key GnuPG made and
 * whose repository GnuPG signed, and a box that trusts that key for it.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { buildRepository } from '../../src/core/pkg/index.js';
import { bpkg, gpgKey, makeSource } from '../helpers/pkg.js';

/**
 * A GnuPG key (gpgKey) signing `base`/repo, a repository `gpg-repo` holding package `name` 1.0.0;
 * the box at `root` adds the key's public half from `base`/`keyFile` with its fingerprint, adds the
 * repository as `repoAs` (with `--key FPR`, the key named for it alone, when `keyForRepo`) and
 * updates. Returns the key and the repository.
 */
export async function gpgSignedRepoOnBox(o: {
  base: string;
  root: string;
  name: string;
  keyFile: string;
  repoAs: string;
  keyForRepo?: boolean;
}) {
  const g = await gpgKey();
  const repo = path.join(o.base, 'repo');
  await buildRepository({
    sources: [makeSource(o.base, { name: o.name, version: '1.0.0' })],
    repoDir: repo,
    name: 'gpg-repo',
    signer: { gpgKey: g.fingerprint, gnupgHome: g.home },
  });
  const pub = path.join(o.base, o.keyFile);
  writeFileSync(pub, g.publicKey);
  expect((await bpkg(o.root, ['key', 'add', pub, '--fingerprint', g.fingerprint])).code).toBe(0);
  const keyArgs = o.keyForRepo ? ['--key', g.fingerprint] : [];
  expect((await bpkg(o.root, ['repo', 'add', o.repoAs, repo, ...keyArgs])).code).toBe(0);
  const up = await bpkg(o.root, ['update']);
  expect(up.code, up.stderr).toBe(0);
  return { g, repo };
}
