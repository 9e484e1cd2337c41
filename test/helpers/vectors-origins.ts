/**
 * A box where `vectors` can come from two repositories signed by different keys, for the tests of
 * whom a kept data folder belongs to (test/security/module-data-owner, test/app/data-held-fronts):
 * repository `main` (key A) offers vectors 1.0.0, and `other` (key B) can be added offering its own.
 */
import path from 'node:path';
import { type Box, openBox } from '../../src/app/index.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { makeKey, publishSources, type TestKey, tempDir, trustingRoot } from './pkg.js';

/** A box trusting repository `main` (key A) that offers vectors 1.0.0, vectors installed from it. */
export async function vectorsFromMain(): Promise<{ root: string; box: Box; keyA: TestKey; repoA: string }> {
  const keyA = await makeKey(path.join(tempDir(), 'key-a'), { name: 'Repository A' });
  const repoA = path.join(tempDir(), 'repo-a');
  await publishSources(repoA, keyA, [{ name: 'vectors', version: '1.0.0' }]);
  const root = await trustingRoot(keyA, repoA);
  const box = openBox(root, { yes: true });
  await box.packages.install(['vectors']);
  return { root, box, keyA, repoA };
}

/** Adds repository `other`, signed by a key of its own (key B), offering vectors `version`; updated. */
export async function addOtherRepository(root: string, version = '1.0.0'): Promise<TestKey> {
  const keyB = await makeKey(path.join(tempDir(), 'key-b'), { name: 'Repository B' });
  const repoB = path.join(tempDir(), 'repo-b');
  await publishSources(repoB, keyB, [{ name: 'vectors', version }]);
  const pm = new PackageManager({ root });
  await pm.keyring.add(keyB.publicKey, keyB.fingerprint);
  await pm.repos.add('other', repoB, { keys: [keyB.fingerprint] });
  for (const o of await pm.update()) if (!o.ok) throw new Error(`update failed: ${JSON.stringify(o)}`);
  return keyB;
}
