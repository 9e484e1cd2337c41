/**
 * `bpkg key remove 72BC` removed a key by a four-digit suffix and said 'no longer trusting 72BC',
 * not which key went, while adding one insists on all 40 digits. Short ids are easy to forge a
 * match for; two trusted keys sharing the suffix were refused as a conflict (exit 5) without
 * naming either. Now: under 16 hex digits is refused (exit 2) with the full fingerprints it
 * matches (every one, when several do), nothing removed; 16 or more remove the one key they match
 * and the message names its full fingerprint. The real executable, as bpkg.
 */
import { describe, expect, it } from 'vitest';
import { bpkg, makeKey, type TestKey, tempDir } from '../helpers/pkg.js';

const up = (k: TestKey) => k.fingerprint.toUpperCase();

async function trusted(keys: TestKey[]): Promise<string> {
  const root = tempDir('bp-root-');
  for (const k of keys)
    expect((await bpkg(root, ['key', 'add', k.publicFile, '--fingerprint', k.fingerprint])).code).toBe(0);
  return root;
}

async function listed(root: string): Promise<string[]> {
  const r = await bpkg(root, ['--json', 'key', 'list']);
  return JSON.parse(r.stdout).map((k: { fingerprint: string }) => k.fingerprint.toUpperCase());
}

describe('bpkg key remove by part of a fingerprint', () => {
  it('16 digits or more: the one key, named by its full fingerprint', async () => {
    const a = await makeKey(tempDir('bp-key-a-'));
    const b = await makeKey(tempDir('bp-key-b-'));
    const root = await trusted([a, b]);
    const r = await bpkg(root, ['key', 'remove', up(a).slice(-16)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`no longer trusting ${up(a)}`);
    expect(await listed(root)).toEqual([up(b)]);
    const j = await bpkg(root, ['--json', 'key', 'remove', b.fingerprint.toLowerCase()]);
    expect(j.code, j.stderr).toBe(0);
    expect(JSON.parse(j.stdout).removed.toUpperCase()).toBe(up(b));
  });

  it('under 16 digits: refused (exit 2), the full fingerprint named, nothing removed', async () => {
    const a = await makeKey(tempDir('bp-key-a-'));
    const root = await trusted([a]);
    const r = await bpkg(root, ['key', 'remove', up(a).slice(-4)]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(up(a));
    expect(r.stdout).not.toContain('no longer trusting');
    expect(await listed(root)).toEqual([up(a)]);
  });

  it('two trusted keys that share the suffix: refused (exit 2), both named, neither removed', async () => {
    // Keys until two end in the same hex digit (17 always do; a few nearly always do).
    const keys: TestKey[] = [];
    let pair: [TestKey, TestKey] | undefined;
    while (!pair) {
      const k = await makeKey(tempDir('bp-key-'));
      const twin = keys.find((o) => o.fingerprint.slice(-1) === k.fingerprint.slice(-1));
      if (twin) pair = [twin, k];
      keys.push(k);
    }
    const root = await trusted(pair);
    const r = await bpkg(root, ['key', 'remove', up(pair[0]).slice(-1)]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(up(pair[0]));
    expect(r.stderr).toContain(up(pair[1]));
    expect((await listed(root)).sort()).toEqual([up(pair[0]), up(pair[1])].sort());
  });
});
