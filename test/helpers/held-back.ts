import { bpkg, publishSources, signedRepo, trustingRoot } from './pkg.js';

/** The warning `bpkg upgrade` gives for the upgrade boxBeforeHeldBack's repository holds back. */
export const HELD_BACK_LINE =
  'greetdata 2.0.0 held back (stays at 1.0.0): greeter 1.0.0 needs greetdata=1.0.0 (greetdata 2.0.0 would be current)';

/** `--json`'s `heldBack` for that upgrade (docs/pkg-json.md), as the dry run and the upgrade answer it. */
export const HELD_BACK_JSON = [
  {
    name: 'greetdata',
    from: '1.0.0',
    newest: '2.0.0',
    to: '1.0.0',
    installedVersion: '1.0.0',
    message: HELD_BACK_LINE,
  },
];

/**
 * A box with greeter 1.0.0 (needing greetdata=1.0.0) and good 1.0.0 installed from `main`, which now
 * serves greetdata 2.0.0 (held back for greeter) and good 1.1.0 (upgradable). Not updated yet.
 */
export async function boxBeforeHeldBack(): Promise<string> {
  const greeter = { name: 'greeter', version: '1.0.0', depends: ['greetdata=1.0.0'] };
  const { key, repo } = await signedRepo([
    { name: 'greetdata', version: '1.0.0' },
    greeter,
    { name: 'good', version: '1.0.0' },
  ]);
  const root = await trustingRoot(key, repo);
  const installed = await bpkg(root, ['--yes', 'install', 'greeter', 'good']);
  if (installed.code !== 0) throw new Error(`install greeter good failed: ${installed.stderr}`);
  await publishSources(repo, key, [
    { name: 'greetdata', version: '1.0.0' },
    { name: 'greetdata', version: '2.0.0' },
    greeter,
    { name: 'good', version: '1.0.0' },
    { name: 'good', version: '1.1.0' },
  ]);
  return root;
}
