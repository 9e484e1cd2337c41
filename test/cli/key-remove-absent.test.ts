/**
 * `bpkg key remove FPR` run twice (an Ansible task's `state: absent` re-run): the second exited 3
 * "not found", while `bpkg remove` and `bpkg repo remove` of what is not there exit 0. Now a full
 * fingerprint of a key not trusted is "not trusted, nothing to do", exit 0 (--json
 * `changed: false`); a shorter id that matches no key is still not found (exit 3): which key was
 * meant cannot be told. The real executable, as bpkg.
 */
import { describe, expect, it } from 'vitest';
import { bpkg, makeKey, tempDir } from '../helpers/pkg.js';

describe('bpkg key remove of a key not trusted', () => {
  it('a full fingerprint: exit 0, nothing to do; a short id: still not found', async () => {
    const key = await makeKey(tempDir('bp-key-absent-'));
    const root = tempDir('bp-root-');
    expect((await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint])).code).toBe(0);
    const first = await bpkg(root, ['--json', 'key', 'remove', key.fingerprint]);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ changed: true });
    const again = await bpkg(root, ['key', 'remove', key.fingerprint]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/is not trusted, nothing to do/);
    const json = await bpkg(root, ['--json', 'key', 'remove', key.fingerprint]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      removed: null,
      notTrusted: key.fingerprint.toUpperCase(),
      changed: false,
    });
    expect((await bpkg(root, ['key', 'remove', key.fingerprint.slice(-16)])).code).toBe(3);
  });
});
