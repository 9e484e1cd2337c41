import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkgOk } from '../helpers/bpkg-box.js';
import { bpkg, makeKey, publishSources, signedRepo, tempDir } from '../helpers/pkg.js';

/**
 * QA20's fleet walk: `bpkg install` of a version signed by a key revoked on the box downloaded the
 * whole package (46 MiB there) before its signature was refused. Its detached signature names the
 * signer before the download: a package whose every trusted signer is revoked is refused first
 * (`signer-revoked`, exit 4), with no byte of the package fetched from the repository's server.
 */
describe('bpkg install of a package signed by a revoked key', () => {
  it('is refused before a byte of the package is fetched', async () => {
    // The publisher moved from key old to key next: 1.0.0 stays signed by old, the index by next.
    const { key: old, repo } = await signedRepo([{ name: 'app', version: '1.0.0' }]);
    const next = await makeKey(path.join(tempDir(), 'next'));
    await publishSources(repo, next, [{ name: 'app', version: '2.0.0' }]);

    let packageBytes = 0;
    const server = createServer(async (req, res) => {
      const file = path.join(repo, decodeURIComponent(req.url ?? '/').replace(/^\/+/, ''));
      try {
        const body = await readFile(file);
        if (!file.endsWith('.asc') && !file.endsWith('.json')) packageBytes += body.length;
        res.writeHead(200, { 'content-length': body.length }).end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const box = async (tag: string) => {
        const root = tempDir(tag);
        const ok = bpkgOk(root);
        await ok('key', 'add', old.publicFile, '--fingerprint', old.fingerprint);
        await ok('key', 'add', next.publicFile, '--fingerprint', next.fingerprint);
        await ok('repo', 'add', 'main', url, '--key', old.fingerprint);
        await ok('repo', 'set-key', 'main', old.fingerprint, next.fingerprint);
        await ok('update');
        return { root, ok };
      };
      const cert = path.join(old.dir, 'revocation.asc');
      writeFileSync(cert, old.revocationCertificate);
      const refused = async (root: string) => {
        packageBytes = 0;
        // The dry run refuses it in the same words (it fetches the signature alone).
        const dry = await bpkg(root, ['--json', 'install', 'app@1.0.0', '--dry-run']);
        expect(dry.code, dry.stdout + dry.stderr).toBe(4);
        expect(JSON.parse(dry.stdout).error.code).toBe('signer-revoked');
        const r = await bpkg(root, ['--json', 'install', 'app@1.0.0', '--yes']);
        expect(r.code, r.stdout + r.stderr).toBe(4);
        const error = JSON.parse(r.stdout).error;
        expect(error.code).toBe('signer-revoked');
        expect(error.message).toContain(old.fingerprint.toUpperCase());
        expect(packageBytes).toBe(0);
      };

      // A box that never had 1.0.0.
      const fresh = await box('bp-revfirst-');
      await fresh.ok('key', 'add', cert);
      await fresh.ok('update'); // the index is signed by next: still accepted
      await refused(fresh.root);
      // Nor is it put in a bundle for another box.
      packageBytes = 0;
      const b = await bpkg(fresh.root, [
        '--json',
        'bundle',
        'app@1.0.0',
        '--out',
        path.join(tempDir(), 'usb'),
      ]);
      expect(b.code, b.stdout + b.stderr).toBe(4);
      expect(JSON.parse(b.stdout).error.code).toBe('signer-revoked');
      expect(packageBytes).toBe(0);
      // A version signed by a valid key installs, its bytes fetched.
      await fresh.ok('install', 'app@2.0.0', '--yes');
      expect(packageBytes).toBeGreaterThan(0);

      // A box that ran 1.0.0 and upgraded: making the kept 1.0.0 current again is refused too,
      // before its package is fetched to check the signature again.
      const upgraded = await box('bp-revfirst-kept-');
      await upgraded.ok('install', 'app@1.0.0', '--yes');
      await upgraded.ok('install', 'app@2.0.0', '--yes');
      await upgraded.ok('key', 'add', cert);
      await refused(upgraded.root);
    } finally {
      server.close();
    }
  });
});
