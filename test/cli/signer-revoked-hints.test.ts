import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkgBox } from '../helpers/bpkg-box.js';
import { bpkg, poolArchive, signedRepo } from '../helpers/pkg.js';

type Failure = { code: string; message: string; hint: string };

/**
 * KEYS2's left item: a `signer-revoked` refusal said the same thing for a package and for an index
 * ("Nothing was installed", `bpkg info NAME`, `repo set-key`), though what the admin can do differs:
 * for a package, get one signed by a valid key from the publisher, or roll back to the version the
 * box had; for an index, the box keeps its last one: `bpkg update` once the publisher re-signs it,
 * or remove the repository. Each is said through the CLI's text and its --json.
 */
describe('signer-revoked: what to do, for a package and for an index', () => {
  it('a package file says publisher or rollback; the next update says update after re-signing, or remove', async () => {
    const { key, repo } = await signedRepo([{ name: 'app', version: '1.0.0' }]);
    const root = await bpkgBox('bp-revhint-', key, repo);
    const cert = path.join(key.dir, 'revocation.asc');
    writeFileSync(cert, key.revocationCertificate);
    expect((await bpkg(root, ['key', 'add', cert])).code).toBe(0);

    // From the repository: refused before its download (revoked-first.ts), in the same words.
    const first = await bpkg(root, ['--json', 'install', '--yes', 'app']);
    expect(first.code, first.stdout).toBe(4);
    const early = JSON.parse(first.stdout).error as Failure;
    expect(early.code).toBe('signer-revoked');
    expect(early.hint).toMatch(
      /^Nothing was downloaded\. Ask its publisher for a version signed by a valid key/,
    );
    expect(early.hint).toMatch(/`bpkg (--root \S+ )?rollback app`/);

    // A package file given: read, then its signature judged (signature.ts noGoodSignature).
    const file = poolArchive(repo, 'app');
    const pkgJson = await bpkg(root, ['--json', 'install', '--yes', file]);
    expect(pkgJson.code, pkgJson.stdout).toBe(4);
    const pkg = JSON.parse(pkgJson.stdout).error as Failure;
    expect(pkg.code).toBe('signer-revoked');
    expect(pkg.hint).toMatch(/ask its publisher for a version signed by a valid key/i);
    expect(pkg.hint).toMatch(/`bpkg (--root \S+ )?rollback NAME`/);
    expect(pkg.hint).not.toMatch(/repo remove|bpkg update/);
    const pkgText = await bpkg(root, ['install', '--yes', file]);
    expect(pkgText.code).toBe(4);
    expect(pkgText.stderr).toContain(`hint: ${pkg.hint}`);

    // The next update: the index the revoked key signed.
    const upJson = await bpkg(root, ['--json', 'update']);
    expect(upJson.code, upJson.stdout).toBe(4);
    const [main] = JSON.parse(upJson.stdout) as { repo: string; error: Failure }[];
    expect(main!.error.code).toBe('signer-revoked');
    expect(main!.error.hint).toMatch(/Nothing was updated: the box keeps the last index it verified of main/);
    expect(main!.error.hint).toMatch(
      /Run `bpkg (--root \S+ )?update` once the publisher re-signs it with a valid key/,
    );
    expect(main!.error.hint).toMatch(/remove the repository: `bpkg (--root \S+ )?repo remove main`/);
    expect(main!.error.hint).not.toMatch(/Nothing was installed|bpkg info|bpkg install/);
    const upText = await bpkg(root, ['update']);
    expect(upText.code).toBe(4);
    // The same commands in both, on the box updated: a script pasting --json's hint acts on it, not
    // on / (update's --json left --root out: KEYS3's report).
    expect(main!.error.hint).toContain(`\`bpkg --root ${root} repo remove main\``);
    expect(upText.stdout + upText.stderr).toContain(`hint: ${main!.error.hint}`);
  }, 60_000);
});
