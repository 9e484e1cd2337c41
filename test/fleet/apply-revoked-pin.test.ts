/**
 * A fleet's description pins a repository key that the box has since been told is revoked (the
 * publisher's revocation certificate, `bpkg key add revocation.asc`, as keys/README.md says to do
 * when a key is compromised). apply said "Nothing to change: the box already matches" and exit 0,
 * although the key the file says to trust is one the box refuses: the description is stale, and
 * a new box given the same file would trust the compromised key. The plan is refused now (exit 1,
 * a `blocked:` line naming the key and the repository, and what to put in the file), nothing
 * written, and the revocation stays.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoriesSection } from '../helpers/apply-workspace.js';
import { bpkg, run } from '../helpers/pkg.js';
import { revokedKeyBox } from '../helpers/revoked-key.js';

describe('apply with a pinned key the box knows is revoked', () => {
  it('is refused with the key named, nothing written, the revocation kept', async () => {
    const { key, root, revoked } = await revokedKeyBox();
    expect(revoked.code).toBe(0);
    const repoUrl = JSON.parse((await bpkg(root, ['--json', 'repo', 'list'])).stdout)[0].url as string;
    const file = path.join(key.dir, 'appliance.yaml');
    writeFileSync(file, ['hostname: edge-35', ...repositoriesSection('main', repoUrl, key), ''].join('\n'));
    const before = readdirSync(root).sort();
    const dry = await run(['--root', root, 'apply', '-f', file, '--dry-run']);
    expect(dry.code, dry.stdout + dry.stderr).toBe(1);
    const fpr = key.fingerprint.replace(/\s/g, '').toUpperCase();
    expect(dry.stdout).toMatch(new RegExp(`blocked: the key ${fpr} .*repository main is revoked`));
    const r = await run(['--root', root, '--json', 'apply', '-f', file]);
    expect(r.code).toBe(1);
    const { error } = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    expect(error.code).toBe('blocked');
    expect(error.message).toContain('revoked');
    expect(readdirSync(root).sort()).toEqual(before);
    expect((await bpkg(root, ['key', 'list'])).stdout).toContain('[REVOKED]');
  });
});
