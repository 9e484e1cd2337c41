/**
 * QA20's fleet walk: after `bpkg key remove OLD` (the old key of a rotation, no longer wanted),
 * `bpkg repo list` still read "signed by OLD, NEW" though the box trusts OLD no more and nothing it
 * signs is accepted (the binding is kept on purpose: trusting the key again restores it,
 * test/cli/key-remove-bound). The table marks such a key, as it marks a revoked one; --json keeps
 * its fields as they were.
 */
import { describe, expect, it } from 'vitest';
import { bpkg, makeKey, signedRepo, tempDir } from '../helpers/pkg.js';

describe('bpkg repo list with a bound key the box no longer trusts', () => {
  it('marks it in the table', async () => {
    const { key, repo } = await signedRepo([{ name: 'hello-data', version: '1.0.0' }]);
    const other = await makeKey(tempDir('bp-untrusted-other-'));
    const root = tempDir('bp-root-');
    for (const k of [key, other])
      expect((await bpkg(root, ['key', 'add', k.publicFile, '--fingerprint', k.fingerprint])).code).toBe(0);
    expect(
      (await bpkg(root, ['repo', 'add', 'main', repo, '--key', key.fingerprint, '--key', other.fingerprint]))
        .code,
    ).toBe(0);
    expect((await bpkg(root, ['key', 'remove', other.fingerprint])).code).toBe(0);
    const text = await bpkg(root, ['repo', 'list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`${other.fingerprint.toUpperCase()} (not trusted)`);
    expect(text.stdout).not.toContain(`${key.fingerprint.toUpperCase()} (`);
    const json = JSON.parse((await bpkg(root, ['--json', 'repo', 'list'])).stdout) as { keys: string[] }[];
    expect(json[0]!.keys).toContain(other.fingerprint.toLowerCase());
  });
});
