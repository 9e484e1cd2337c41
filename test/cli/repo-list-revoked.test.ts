/**
 * `bpkg repo list` named a revoked key under SIGNED BY like any other: after `bpkg key add
 * revocation.asc` (keys/README.md, a compromised key) the repository still read "signed by" it,
 * though nothing it signs is accepted (`bpkg key list` says [REVOKED], the console and the
 * dashboard REVOKED). The table marks it; --json keeps its fields as they were.
 */
import { describe, expect, it } from 'vitest';
import { bpkg } from '../helpers/pkg.js';
import { revokedKeyBox } from '../helpers/revoked-key.js';

describe('bpkg repo list with a revoked key bound', () => {
  it('marks the revoked key in the table', async () => {
    const { key, root, revoked } = await revokedKeyBox();
    expect(revoked.code).toBe(0);
    const fpr = key.fingerprint.replace(/\s/g, '').toUpperCase();
    const text = await bpkg(root, ['repo', 'list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`${fpr} (revoked)`);
    const json = JSON.parse((await bpkg(root, ['--json', 'repo', 'list'])).stdout) as { keys: string[] }[];
    expect(json[0]!.keys).toEqual([fpr.toLowerCase()]);
  });
});
