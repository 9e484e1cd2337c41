/**
 * A fresh box (no repository configured yet): `bpkg install llm` said 'No package llm in the verified
 * indexes' with 'Run `bpkg update`, or check the name with `bpkg search`.', and `bpkg update` then
 * said there is no repository: two commands to learn the one step missing. The hint now says it
 * (add a repository, then update), for install and info; a box with a repository it has not
 * fetched yet is told to run `bpkg update`, naming it. Exit 3, nothing installed. The real executable.
 */
import { describe, expect, it } from 'vitest';
import { bpkg, signedRepo, tempDir } from '../helpers/pkg.js';

/** The commands a hint names carry the --root typed (test/cli/hint-root). */
const ADD = (root: string) =>
  `No repository is configured: add one with \`bpkg --root ${root} repo add NAME URL\`, then run \`bpkg --root ${root} update\`.`;

describe('bpkg install on a box with no repository', () => {
  it('says to add a repository, for install and info', async () => {
    const root = tempDir('bp-root-');
    const r = await bpkg(root, ['--yes', 'install', 'llm']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('error: No package llm in the verified indexes');
    expect(r.stderr).toContain(`hint: ${ADD(root)}`);
    const json = await bpkg(root, ['--json', '--yes', 'install', 'llm']);
    expect(JSON.parse(json.stdout).error.hint).toBe(ADD(root));
    const info = await bpkg(root, ['info', 'llm']);
    expect(info.code).toBe(3);
    expect(info.stderr).toContain(`hint: ${ADD(root)}`);
    expect(JSON.parse((await bpkg(root, ['--json', 'list'])).stdout)).toEqual([]);
  });

  it('a repository added but not fetched yet: run bpkg update, as before', async () => {
    const { key, repo } = await signedRepo([{ name: 'hello-data', version: '1.0.0' }]);
    const root = tempDir('bp-root-');
    const { PackageManager } = await import('../../src/core/pkg/index.js');
    const pm = new PackageManager({ root });
    await pm.keyring.add(key.publicKey, key.fingerprint);
    await pm.repos.add('main', repo);
    const r = await bpkg(root, ['--yes', 'install', 'hello-data']);
    expect(r.code).toBe(3);
    // Named, with what a refused update would mean (test/cli/repo-no-index).
    expect(r.stderr).toContain(
      `hint: No repository has a verified index yet (main): run \`bpkg --root ${root} update\` to fetch it;`,
    );
    expect(r.stderr).not.toContain('No repository is configured');
  });
});
