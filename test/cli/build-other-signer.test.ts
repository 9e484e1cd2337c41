/**
 * After a key rotation (keys/README.md: announce the new key, then build with it), `repo build` with
 * the new key re-signed only the packages it built: those already in the pool kept the old key's
 * signature, and it said nothing. A box that trusts only the new key (a box set up after the
 * rotation, or one that revoked the old key) was refused them, the hint telling its admin to trust
 * the old key (found by the QA6 walk). The build now warns, naming the packages and the command that
 * re-signs them; run, that box installs them. The real executable.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkg, makeKey, makeSource, run, signedRepo, tempDir } from '../helpers/pkg.js';

describe('repo build with a key other than the one the pool was signed with', () => {
  it('warns with the command that re-signs the older packages, which then install', async () => {
    const { repo } = await signedRepo([{ name: 'hello-data', version: '1.0.0' }]);
    const b = await makeKey(tempDir('bp-key-b-'));
    const src = makeSource(tempDir('bp-src-'), { name: 'other', version: '1.0.0' });

    const r = await run(['repo', 'build', src, '--repo', repo, '--key', b.privateFile]);
    expect(r.code, r.stderr).toBe(0);
    const old = 'pool/hello-data/hello-data_1.0.0_all.bpkg';
    expect(r.stderr).toContain('warning: 1 package in the pool is signed by another key than this build');
    const command = `blueprint repo sign --key ${b.privateFile} ${path.join(repo, old)}`;
    expect(r.stderr).toContain(command);
    const warning = r.stderr.split('\n').find((l) => l.startsWith('warning: '));
    expect(warning).not.toContain('other_1.0.0');

    const root = tempDir('bp-root-');
    expect((await bpkg(root, ['key', 'add', b.publicFile, '--fingerprint', b.fingerprint])).code).toBe(0);
    expect((await bpkg(root, ['repo', 'add', 'main', repo, '--key', b.fingerprint])).code).toBe(0);
    expect((await bpkg(root, ['update'])).code).toBe(0);
    expect((await bpkg(root, ['install', 'hello-data', '--yes'])).code).toBe(4);

    const sign = await run(command.split(' ').slice(1));
    expect(sign.code, sign.stderr).toBe(0);
    const i = await bpkg(root, ['install', 'hello-data', '--yes']);
    expect(i.code, i.stderr).toBe(0);

    // Built again with the same key: every package is its, nothing said.
    const again = await run(['repo', 'build', src, '--repo', repo, '--key', b.privateFile]);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain('signed by another key');
  });
});
