import { bpkgOk } from './bpkg-box.js';
import { run, type TestKey, tempDir } from './pkg.js';

/**
 * The publisher's key rotation, with the executable: `blueprint repo rotate-key` of the repository
 * at `repo`, announcing `to` in a notice signed by `from`. The caller asserts its exit status.
 */
export const rotateKey = (repo: string, from: TestKey, to: TestKey) =>
  run(['repo', 'rotate-key', '--repo', repo, '--new-key', to.publicFile, '--key', from.privateFile]);

/**
 * A new box (a temp folder, `tag` its prefix) that trusts `key` and binds each repository of
 * `repos` (name: folder) to it (`repo add NAME file://DIR --key FPR`), then updates: each command
 * exiting 0, its words and stderr said when not.
 */
export async function pinnedBox(tag: string, key: TestKey, repos: Record<string, string>): Promise<string> {
  const root = tempDir(tag);
  const ok = bpkgOk(root);
  await ok('key', 'add', key.publicFile, '--fingerprint', key.fingerprint);
  for (const [name, dir] of Object.entries(repos))
    await ok('repo', 'add', name, `file://${dir}`, '--key', key.fingerprint);
  await ok('update');
  return root;
}
