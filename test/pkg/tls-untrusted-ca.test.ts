/**
 * An https:// or oci:// repository whose certificate is signed by the organisation's own CA (a
 * private registry; found by the QA6 walk) failed with Node's words: 'Cannot reach https://…:
 * self-signed certificate; if the root CA is installed locally, try running Node.js with
 * --use-system-ca', the hint only 'Check the network and the repository URL'. blueprint is one
 * executable: the admin runs no Node.js to pass a flag to. Now it says the server's certificate is
 * not signed by a CA this machine trusts and how to give that CA (NODE_EXTRA_CA_CERTS, which the
 * executable reads: with it the same update gets past TLS). The real executable.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpkg, makeKey, tempDir } from '../helpers/pkg.js';
import { testCa } from '../helpers/registry.js';

let server: ReturnType<typeof createServer>;
let port: number;
let ca: string;
beforeAll(async () => {
  const t = testCa(tempDir('bp-ca-'));
  ca = t.ca;
  server = createServer({ cert: readFileSync(t.cert), key: readFileSync(t.key) }, (_req, res) =>
    res.writeHead(404).end(),
  );
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

describe('a TLS repository whose certificate comes from a CA the machine does not trust', () => {
  it('bpkg update says so and how to trust the CA; given the CA, TLS succeeds', async () => {
    const key = await makeKey(tempDir('bp-key-'));
    const root = tempDir('bp-root-');
    expect((await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint])).code).toBe(0);
    const url = `https://127.0.0.1:${port}/repo`;
    expect((await bpkg(root, ['repo', 'add', 'web', url, '--key', key.fingerprint])).code).toBe(0);

    const r = await bpkg(root, ['update']);
    expect(r.code).toBe(1);
    const said = r.stdout + r.stderr;
    expect(said).toContain('certificate is not signed by a CA this machine trusts');
    expect(said).not.toContain('Node.js');
    expect(said).toMatch(/hint: .*NODE_EXTRA_CA_CERTS=/);

    const withCa = await bpkg(root, ['update'], { PATH: '/usr/bin:/bin', NODE_EXTRA_CA_CERTS: ca });
    expect(withCa.stdout + withCa.stderr).not.toContain('certificate');
  });
});
