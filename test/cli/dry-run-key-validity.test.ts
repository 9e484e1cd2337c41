/**
 * `bpkg install --dry-run` and `bpkg upgrade --dry-run` judge a package's signer as the install
 * does: a trusted key that has expired (or was revoked) since the index was fetched vouches for
 * nothing. The dry run named it as the signer and said it would install; the install refuses
 * (`key-not-valid`, exit 4).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkgBox } from '../helpers/bpkg-box.js';
import { bpkg, makeKey, publishSources, signedRepo, tempDir } from '../helpers/pkg.js';
import { treeHash } from '../helpers/tree-hash.js';
import { errorLine } from '../helpers/two-repos.js';

const LIFETIME_S = 6;

describe('dry runs and a signing key no longer valid', () => {
  it('an expired key is refused by install --dry-run and upgrade --dry-run as by the install', async () => {
    const made = Date.now();
    const key = await makeKey(path.join(tempDir(), 'key'), { expiresInSeconds: LIFETIME_S });
    const { repo } = await signedRepo([{ name: 'good', version: '1.0.0' }], key);
    const root = await bpkgBox('bp-expired-', key, repo);
    expect((await bpkg(root, ['install', '--yes', 'good'])).code).toBe(0);
    await publishSources(repo, key, [
      { name: 'good', version: '1.1.0' },
      { name: 'other', version: '1.0.0' },
    ]);
    const up = await bpkg(root, ['update']);
    expect(up.code, `the key must still be valid here (${up.stderr})`).toBe(0);
    await new Promise((r) => setTimeout(r, Math.max(0, made + (LIFETIME_S + 1) * 1000 - Date.now())));

    const before = treeHash(root);
    const dry = await bpkg(root, ['install', '--dry-run', 'other']);
    const dryUp = await bpkg(root, ['upgrade', '--dry-run']);
    expect(treeHash(root)).toEqual(before);
    const real = await bpkg(root, ['install', '--yes', 'other']);
    const realUp = await bpkg(root, ['upgrade', '--yes']);
    expect(real.code, real.stdout).toBe(4);
    expect(real.stderr).toMatch(/is expired on/);
    expect(dry.code, dry.stdout).toBe(real.code);
    expect(errorLine(dry.stderr)).toBe(errorLine(real.stderr));
    expect(realUp.code, realUp.stdout).toBe(4);
    expect(dryUp.code, dryUp.stdout).toBe(realUp.code);
    expect(errorLine(dryUp.stderr)).toBe(errorLine(realUp.stderr));
    expect(JSON.parse((await bpkg(root, ['--json', 'install', '-s', 'other'])).stdout)).toMatchObject({
      error: { code: 'key-not-valid' },
    });
  }, 60_000);
});
