/**
 * An https:// or oci:// repository whose server speaks plain HTTP (a registry run without TLS, as
 * Debian's docker-registry runs from a plain config; found by the QA6 walk) failed with OpenSSL's
 * words: 'Cannot reach https://…: write EPROTO 40ED…:error:0A00010B:SSL
 * routines:tls_validate_record_header:wrong version number:../deps/openssl/…' across two lines,
 * the hint only 'Check the network and the repository URL'. Now it says the server answers in plain
 * HTTP, not TLS, and what to do, on one line; for `bpkg update` and for `repo publish`. The real
 * executable.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpkg, makeKey, run, signedRepo, tempDir } from '../helpers/pkg.js';

let server: ReturnType<typeof createServer>;
let port: number;
beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

const saysPlainHttp = (text: string) => {
  expect(text).toContain('plain HTTP');
  expect(text).not.toContain('wrong version number');
  expect(text).toMatch(/hint: .*TLS/);
};

describe('a TLS repository URL whose server speaks plain HTTP', () => {
  it('bpkg update says the server answers in plain HTTP', async () => {
    const key = await makeKey(tempDir('bp-key-'));
    const root = tempDir('bp-root-');
    expect((await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint])).code).toBe(0);
    for (const [name, url] of [
      ['web', `https://127.0.0.1:${port}/repo`],
      ['reg', `oci://127.0.0.1:${port}/team/repo`],
    ] as const) {
      expect((await bpkg(root, ['repo', 'add', name, url, '--key', key.fingerprint])).code).toBe(0);
    }
    const r = await bpkg(root, ['update']);
    expect(r.code).toBe(1);
    saysPlainHttp(r.stdout + r.stderr);
    expect(r.stdout + r.stderr).not.toContain('\\x0a');
  });

  it('repo publish to an oci:// registry without TLS says so, on one line', async () => {
    const { repo } = await signedRepo([{ name: 'hello-data', version: '1.0.0' }]);
    const r = await run(['repo', 'publish', repo, '--to', `oci://127.0.0.1:${port}/team/repo`], {
      env: { BLUEPRINT_REGISTRY_USER: 'u', BLUEPRINT_REGISTRY_PASSWORD: 'p' },
    });
    expect(r.code).not.toBe(0);
    saysPlainHttp(r.stderr);
    const error = r.stderr.split('\n').find((l) => l.startsWith('error: '))!;
    expect(error).toContain('readers see the repository as it was');
  });
});
