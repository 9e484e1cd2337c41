// A package in repository a signed by a key the box does not trust at all (the publisher's old key
// after a rotation, its packages never re-signed; QA6's walk): the refusal's hint said to trust the
// publisher key with `bpkg key add`, pointing the admin at a key the repository moved away from (or
// a stranger's). Refused as before; the hint now names the repository's own key and says the
// publisher must sign the package with it (`blueprint repo sign`), trusting nothing new.
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import { signFile } from '../../src/core/pkg/build.js';
import { buildRepository, PackageManager } from '../../src/core/pkg/index.js';
import { makeKey, makeSource, type TestKey, tempDir } from '../helpers/pkg.js';

let keyA: TestKey;
let stranger: TestKey;
beforeAll(async () => {
  const dir = tempDir();
  [keyA, stranger] = await Promise.all([
    makeKey(path.join(dir, 'a'), { name: 'Repository A' }),
    makeKey(path.join(dir, 'old'), { name: 'Old key' }),
  ]);
});

it('a package signed by a key not trusted here: refused, the hint names the repository key to sign with', async () => {
  const repo = tempDir('bp-repo-');
  await buildRepository({
    sources: [makeSource(tempDir('bp-src-'), { name: 'alpha', version: '1.0.0' })],
    repoDir: repo,
    name: 'a',
    signer: { keyFile: keyA.privateFile },
  });
  const root = tempDir('bp-root-');
  const pm = new PackageManager({ root });
  await pm.keyring.add(keyA.publicKey, keyA.fingerprint);
  await pm.repos.add('a', repo, { keys: [keyA.fingerprint] });
  expect((await pm.update()).map((o) => o.ok)).toEqual([true]);
  await signFile(path.join(repo, 'pool/alpha/alpha_1.0.0_all.bpkg'), { keyFile: stranger.privateFile });
  const err = await pm.install(['alpha']).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BlueprintError);
  const e = err as BlueprintError;
  expect(e.code).toBe('untrusted-signer');
  expect(e.hint).not.toMatch(/bpkg key add/);
  expect(e.hint).toMatch(/^Repository a is bound to /);
  expect(e.hint).toMatch(/repo sign/);
  expect(await pm.installed()).toEqual([]);
});
