/**
 * `bpkg install --dry-run` judges a package's signature as the install does: trust is scoped to
 * the repository (repo-trust.ts), so a package that repository a serves signed by the key bound to
 * repository b (trusted on the box, but for b only) is refused by the install with
 * `wrong-repository-key` (exit 4). The dry run accepted any trusted key and said it would install.
 */
import { describe, expect, it } from 'vitest';
import { signFile } from '../../src/core/pkg/build.js';
import { bpkg } from '../helpers/pkg.js';
import { treeHash } from '../helpers/tree-hash.js';
import { errorLine, poolFile, twoRepoRoot } from '../helpers/two-repos.js';

const names = async (root: string) =>
  JSON.parse((await bpkg(root, ['list', '--json'])).stdout).map((p: { name: string }) => p.name);

describe('install --dry-run and scoped trust', () => {
  it("a package of repository a signed by b's key is refused as the install refuses it; a's own still passes", async () => {
    const { root, keyA, keyB, repoA } = await twoRepoRoot(
      [
        { name: 'alpha', version: '1.0.0' },
        { name: 'gamma', version: '1.0.0' },
      ],
      [{ name: 'beta', version: '1.0.0' }],
    );
    // Repository a now serves alpha with a good signature by B's key (trusted, for b only).
    await signFile(poolFile(repoA, 'alpha', '1.0.0'), { keyFile: keyB.privateFile });

    const before = treeHash(root);
    const dry = await bpkg(root, ['install', '--dry-run', 'alpha']);
    const dryJson = await bpkg(root, ['--json', 'install', '--dry-run', 'alpha']);
    expect(treeHash(root)).toEqual(before);

    const real = await bpkg(root, ['install', '--yes', 'alpha']);
    expect(real.code, real.stdout).toBe(4);
    expect(real.stderr).toContain('which is not a key trusted for repository a');
    expect(dry.code, dry.stdout).toBe(real.code);
    expect(errorLine(dry.stderr)).toBe(errorLine(real.stderr));
    expect(JSON.parse(dryJson.stdout)).toMatchObject({
      error: { code: 'wrong-repository-key' },
    });
    expect(await names(root)).toEqual([]);

    // gamma, signed by a's own key: planned, with its signer named.
    const good = await bpkg(root, ['--json', 'install', '--dry-run', 'gamma']);
    expect(good.code, good.stderr).toBe(0);
    expect(JSON.parse(good.stdout).changes).toEqual([
      expect.objectContaining({ name: 'gamma', repo: 'a', signer: keyA.fingerprint.toLowerCase() }),
    ]);
    // b's own package signed by b's key passes too (B is trusted for b).
    const beta = await bpkg(root, ['install', '--dry-run', 'beta']);
    expect(beta.code, beta.stderr).toBe(0);
    expect(beta.stdout).toMatch(/Signed by trusted key [0-9A-F ]{40,}/);
  });
});
