import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureTransports, fetchBytes } from '../../src/core/pkg/transport.js';
import { tempDir } from '../helpers/pkg.js';
import { testCa } from '../helpers/registry.js';

/**
 * A registry may send a blob to a storage host (a CDN: another party). When that host answered
 * 401 with a Bearer challenge, the OCI transport answered it as if the registry had asked: it
 * fetched a token from the realm the storage host named, sending the registry's login (for
 * GitHub Packages, the admin's token) there as Basic auth. A login goes only to its registry's
 * own challenges; a 401 from a host a redirect led to is refused.
 */

const LOGIN = { username: 'reader', password: 'reader-secret-token' };
const BLOB = Buffer.from('{"the":"index"}');
const DIGEST = `sha256:${createHash('sha256').update(BLOB).digest('hex')}`;

let registry: Server;
let storage: Server;
let registryHost = '';
let storagePort = 0;
/** What the storage host saw: every authorization header it was sent, and its token requests. */
const seen: { authorization: string[]; tokenAsks: number } = { authorization: [], tokenAsks: 0 };
let storageAsksLogin = true;

const listen = (s: Server) =>
  new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as { port: number }).port)));

beforeAll(async () => {
  const tls = testCa(tempDir('bp-oci-ca-'));
  const cert = { cert: readFileSync(tls.cert), key: readFileSync(tls.key) };
  storage = createServer(cert, (req, res) => {
    if (req.headers.authorization) seen.authorization.push(req.headers.authorization);
    if (req.url?.startsWith('/token')) {
      seen.tokenAsks++;
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"cdn-token"}');
    }
    if (storageAsksLogin)
      return void res
        .writeHead(401, { 'www-authenticate': `Bearer realm="https://127.0.0.1:${storagePort}/token"` })
        .end();
    res.writeHead(200, { 'content-length': BLOB.length }).end(BLOB);
  });
  storagePort = await listen(storage);
  registry = createServer(cert, (req, res) => {
    if (req.url === '/v2/blueprint/modules/manifests/latest')
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          schemaVersion: 2,
          layers: [
            {
              mediaType: 'application/json',
              digest: DIGEST,
              size: BLOB.length,
              annotations: { 'org.opencontainers.image.title': 'index.json' },
            },
          ],
        }),
      );
    if (req.url === `/v2/blueprint/modules/blobs/${DIGEST}`)
      return void res.writeHead(307, { location: `https://127.0.0.1:${storagePort}/blob` }).end();
    res.writeHead(404).end();
  });
  registryHost = `127.0.0.1:${await listen(registry)}`;
  const root = tempDir('bp-root-');
  const etc = path.join(root, 'etc/blueprint');
  mkdirSync(etc, { recursive: true });
  writeFileSync(
    path.join(etc, 'credentials.json'),
    JSON.stringify({ registries: { [registryHost]: LOGIN } }),
  );
  chmodSync(path.join(etc, 'credentials.json'), 0o600);
  configureTransports({ ca: [tls.caPem], etc });
});

afterAll(() => {
  registry?.close();
  storage?.close();
});

describe('a storage host the registry redirects to', () => {
  it('is followed for a blob, and the bytes are checked (control)', async () => {
    storageAsksLogin = false;
    const got = await fetchBytes(`oci://${registryHost}/blueprint/modules#index.json`, 1024);
    expect(Buffer.from(got).equals(BLOB)).toBe(true);
  });

  it('a mirror on another host asking for a login is not sent the login of the registry it mirrors', async () => {
    // The storage server stands in for a mirror registry: oci://ITS-HOST/… has no login of its own.
    storageAsksLogin = true;
    seen.authorization = [];
    seen.tokenAsks = 0;
    const err = await fetchBytes(`oci://127.0.0.1:${storagePort}/blueprint/modules#index.json`, 1024).catch(
      (e: unknown) => e,
    );
    // Its own challenge is answered (a token realm without a login: anonymous pull), never with ours.
    expect(seen.authorization.filter((a) => a.startsWith('Basic '))).toEqual([]);
    expect(err).toMatchObject({ code: 'access-denied' });
  });

  it('never gets the registry login, even when it answers 401 with a token realm of its own', async () => {
    storageAsksLogin = true;
    seen.authorization = [];
    seen.tokenAsks = 0;
    const err = await fetchBytes(`oci://${registryHost}/blueprint/modules#index.json`, 1024).catch(
      (e: unknown) => e,
    );
    const basic = `Basic ${Buffer.from(`${LOGIN.username}:${LOGIN.password}`).toString('base64')}`;
    expect(seen.authorization).not.toContain(basic);
    expect(seen.tokenAsks).toBe(0);
    expect(err).toMatchObject({ code: 'access-denied' });
    expect((err as Error).message).toContain(`127.0.0.1:${storagePort}`);
  });
});
