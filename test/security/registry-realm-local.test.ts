import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureTransports, openStream } from '../../src/core/pkg/transport.js';
import { tempDir } from '../helpers/pkg.js';

/**
 * A registry's 401 names where to ask for a token, and the box asked there, wherever it was: a
 * registry on another host could send the box's GET to the box itself (https://127.0.0.1:PORT,
 * localhost) or to a link-local address, where services trust local callers, and the answer's
 * `token` (or `access_token`) went back to the registry as the next request's Bearer header. As a
 * redirect may not lead there (redirect-to-local.test.ts), neither may a realm, unless the
 * registry is itself on this machine.
 *
 * The "remote" registry is this machine's non-loopback address; its token realm is 127.0.0.1 on
 * the same server (which records who asked what). Skipped without such an address.
 */

const external = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && !a.internal && a.family === 'IPv4')?.address;

let server: Server;
let port = 0;
let realm = '';
const asked: string[] = [];
const bearers: string[] = [];

beforeAll(async () => {
  if (!external) return;
  const dir = tempDir('bp-realm-tls-');
  // One self-signed certificate for both names, trusted as its own CA.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-days',
      '2',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'key.pem',
      '-out',
      'cert.pem',
      '-subj',
      '/CN=blueprint realm test',
      '-addext',
      `subjectAltName=IP:${external},IP:127.0.0.1,DNS:localhost`,
    ],
    { cwd: dir, stdio: 'pipe' },
  );
  const cert = readFileSync(path.join(dir, 'cert.pem'));
  server = createServer({ cert, key: readFileSync(path.join(dir, 'key.pem')) }, (req, res) => {
    asked.push(`${req.headers.host} ${req.url}`);
    if (req.url?.startsWith('/token'))
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"local-secret"}');
    if (req.headers.authorization) bearers.push(req.headers.authorization);
    res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="registry"` }).end();
  });
  await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
  port = (server.address() as { port: number }).port;
  configureTransports({ ca: [cert.toString('utf8')] });
});
afterAll(() => server?.close());

async function read(registryHost: string, realmUrl: string) {
  realm = realmUrl;
  asked.length = 0;
  bearers.length = 0;
  return openStream(`oci://${registryHost}/blueprint/modules#index.json`).catch((e: unknown) => e);
}

describe.skipIf(!external)('a token realm on this machine, named by a registry on another host', () => {
  it.each(['127.0.0.1', 'localhost'])(
    'https://%s: refused, never asked, and nothing it says reaches the registry',
    async (name) => {
      const got = await read(`${external}:${port}`, `https://${name}:${port}/token`);
      expect(got).toMatchObject({ code: 'redirect-to-local' });
      expect(asked.some((a) => a.includes('/token'))).toBe(false);
      expect(bearers).toEqual([]);
    },
  );

  it("on the registry's own host: asked (control)", async () => {
    await read(`${external}:${port}`, `https://${external}:${port}/token`);
    expect(asked).toContain(
      `${external}:${port} /token?service=registry&scope=repository%3Ablueprint%2Fmodules%3Apull`,
    );
    expect(bearers).toEqual(['Bearer local-secret']);
  });

  it('a registry on this machine may name a token service on it (control)', async () => {
    await read(`127.0.0.1:${port}`, `https://localhost:${port}/token`);
    expect(asked.some((a) => a.startsWith(`localhost:${port} /token`))).toBe(true);
  });
});
