import { bpkg, publishSources, signedRepo, trustingRoot } from './pkg.js';

/**
 * A box with app 1.0.0 installed from `main`, which now serves app 2.0.0 needing newlib, a package
 * the box does not have (an upgrade that brings in a new dependency). The index is not updated yet.
 */
export async function boxBeforeNewDependency(): Promise<string> {
  const { key, repo } = await signedRepo([{ name: 'app', version: '1.0.0' }]);
  const root = await trustingRoot(key, repo);
  const installed = await bpkg(root, ['--yes', 'install', 'app']);
  if (installed.code !== 0) throw new Error(`install app failed: ${installed.stderr}`);
  await publishSources(repo, key, [
    { name: 'newlib', version: '1.0.0' },
    { name: 'app', version: '2.0.0', depends: ['newlib>=1.0.0'] },
  ]);
  return root;
}
