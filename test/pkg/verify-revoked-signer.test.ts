import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkgBox, bpkgOk } from '../helpers/bpkg-box.js';
import { bpkg, signedRepo } from '../helpers/pkg.js';

/**
 * QA20's fleet walk: after the publisher's key was revoked on the box (`bpkg key add
 * revocation.asc`: "nothing it signs is accepted any more"), `bpkg verify` still said 'hello
 * 0.1.0: OK', exit 0, for the version that key signed and that runs: the admin had no command to
 * find what the compromised key put on the box. Now verify reports it (signer-revoked, naming the
 * key), exit 4, with what to do; a package signed by another key stays OK.
 */
describe('bpkg verify of a package signed by a revoked key', () => {
  it('fails it, naming the key, and what to do', async () => {
    const old = await signedRepo([{ name: 'app', version: '1.0.0' }]);
    const other = await signedRepo([{ name: 'tool', version: '1.0.0' }]);
    const root = await bpkgBox('bp-verrev-', old.key, old.repo);
    const ok = bpkgOk(root);
    await ok('key', 'add', other.key.publicFile, '--fingerprint', other.key.fingerprint);
    await ok('repo', 'add', 'other', other.repo, '--key', other.key.fingerprint);
    await ok('update');
    await ok('install', 'app', 'tool', '--yes');
    await ok('verify');
    const cert = path.join(old.key.dir, 'revocation.asc');
    writeFileSync(cert, old.key.revocationCertificate);
    await ok('key', 'add', cert);

    const r = await bpkg(root, ['--json', 'verify']);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    const reports = JSON.parse(r.stdout) as {
      name: string;
      ok: boolean;
      problems: { path: string; problem: string }[];
    }[];
    expect(reports.find((x) => x.name === 'tool')).toMatchObject({ ok: true });
    expect(reports.find((x) => x.name === 'app')).toMatchObject({
      ok: false,
      problems: [{ problem: 'signer-revoked', path: old.key.fingerprint.toUpperCase() }],
    });
    const text = await bpkg(root, ['verify']);
    expect(text.stdout).toContain(`signer-revoked: ${old.key.fingerprint.toUpperCase()}`);
    expect(text.stdout).toMatch(/install a version signed by a valid key/);
  });
});
