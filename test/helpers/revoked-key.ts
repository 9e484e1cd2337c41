import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { bpkg, type RunResult, signedRepo, type TestKey, tempDir } from './pkg.js';

/**
 * A box (`root`) that trusts `key` and has its signed repository of hello-data as `main`, bound to
 * that key and updated, through the real executable as an admin does it; then the key's revocation
 * certificate (the one `repo keygen` writes) given to `bpkg key add`: `revoked` is what that said.
 */
export async function revokedKeyBox(): Promise<{ key: TestKey; root: string; revoked: RunResult }> {
  const { key, repo } = await signedRepo([{ name: 'hello-data', version: '1.0.0' }]);
  const root = tempDir('bp-root-');
  expect((await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint])).code).toBe(0);
  expect((await bpkg(root, ['repo', 'add', 'main', repo, '--key', key.fingerprint])).code).toBe(0);
  expect((await bpkg(root, ['update'])).code).toBe(0);
  const cert = path.join(key.dir, 'revocation.asc');
  writeFileSync(cert, key.revocationCertificate);
  return { key, root, revoked: await bpkg(root, ['key', 'add', cert]) };
}
