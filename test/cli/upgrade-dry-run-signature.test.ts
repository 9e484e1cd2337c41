/**
 * `bpkg upgrade --dry-run` checks each new version's own signature as `bpkg install --dry-run`
 * does (the `.asc` alone is fetched; scoped to the repository's own keys), and refuses as the real
 * upgrade refuses. It checked none: a new version signed by an untrusted key, or by the key of
 * another repository, was listed as an upgrade that the real `bpkg upgrade` then refused (exit 4).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { signFile } from '../../src/core/pkg/build.js';
import { bpkg, makeKey, tempDir } from '../helpers/pkg.js';
import { treeHash } from '../helpers/tree-hash.js';
import { errorLine, poolFile, publishAs, twoRepoRoot } from '../helpers/two-repos.js';

const versions = async (root: string) =>
  JSON.parse((await bpkg(root, ['list', '--json'])).stdout).map(
    (p: { name: string; version: string }) => `${p.name} ${p.version}`,
  );

describe('upgrade --dry-run checks the signatures the upgrade would', () => {
  it('refuses a new version signed by an untrusted or a foreign key as the upgrade does; a good one lists the plan', async () => {
    const alpha = { name: 'alpha', version: '1.0.0' };
    const { root, keyA, keyB, repoA } = await twoRepoRoot([alpha], [{ name: 'beta', version: '1.0.0' }]);
    expect((await bpkg(root, ['install', '--yes', 'alpha'])).code).toBe(0);
    await publishAs(repoA, 'a', keyA, [alpha, { name: 'alpha', version: '1.1.0' }]);
    expect((await bpkg(root, ['update'])).code).toBe(0);
    const stranger = await makeKey(path.join(tempDir(), 'stranger'));
    const pkg = poolFile(repoA, 'alpha', '1.1.0');

    for (const [signer, code, said] of [
      [stranger, 'untrusted-signer', 'signed by an untrusted key'],
      [keyB, 'wrong-repository-key', 'which is not a key trusted for repository a'],
    ] as const) {
      await signFile(pkg, { keyFile: signer.privateFile });
      const before = treeHash(root);
      const dry = await bpkg(root, ['upgrade', '--dry-run']);
      const json = await bpkg(root, ['--json', 'upgrade', '--dry-run']);
      expect(treeHash(root)).toEqual(before);
      const real = await bpkg(root, ['upgrade', '--yes']);
      expect(real.code, real.stdout).toBe(4);
      expect(real.stderr).toContain(said);
      expect(dry.code, dry.stdout).toBe(real.code);
      expect(errorLine(dry.stderr)).toBe(errorLine(real.stderr));
      expect(JSON.parse(json.stdout)).toMatchObject({ error: { code } });
      expect(await versions(root)).toEqual(['alpha 1.0.0']);
    }

    // Signed by a's own key again: the plan is listed, with who signed it, and the upgrade goes through.
    await signFile(pkg, { keyFile: keyA.privateFile });
    const good = await bpkg(root, ['upgrade', '--dry-run']);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/alpha\s+1\.0\.0 -> 1\.1\.0\s+\(a\)/);
    expect(good.stdout).toMatch(/Signed by trusted key [0-9A-F ]{40,}/);
    expect(JSON.parse((await bpkg(root, ['--json', 'upgrade', '--dry-run'])).stdout)).toMatchObject({
      upgradable: [{ name: 'alpha', from: '1.0.0', to: '1.1.0', repo: 'a' }],
    });
    expect((await bpkg(root, ['upgrade', '--yes'])).code).toBe(0);
    expect(await versions(root)).toEqual(['alpha 1.1.0']);
  });
});
