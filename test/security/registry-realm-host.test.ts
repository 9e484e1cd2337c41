import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishRepository as publishFromCli } from '../../src/app/publish.js';
import { publishRepository } from '../../src/core/pkg/publish-remote.js';
import { configureTransports } from '../../src/core/pkg/transport.js';
import { tempDir } from '../helpers/pkg.js';
import { builtRepo, serveRegistry, takesEverything } from '../helpers/publish-registry.js';

/**
 * A registry's 401 names the token service (`WWW-Authenticate: Bearer realm=…`), and the login
 * for the registry was sent there, whatever host it named (as Docker does): a registry, or
 * whatever can shape its 401s (a pull-through cache relaying another's, a proxy in front), had
 * the registry's login (a GitHub token with write:packages) sent to a host of its choosing. The
 * login now goes only to a token service on the registry's own host name (GitHub's:
 * https://ghcr.io/token), or to a host the admin named for that registry (`tokenHosts`), as
 * ORAS (.NET) and Apple's containerization refuse other realms; without a login, a token is
 * still asked for anonymously wherever the realm is.
 *
 * Here the registry is 127.0.0.1:PORT and "another host" is localhost:PORT (the same server,
 * another name: what it was asked, and with what, is recorded either way).
 */

const LOGIN = { username: 'publisher', password: 'ghp_secret-token-with-write-packages' };
const BASIC = `Basic ${Buffer.from(`${LOGIN.username}:${LOGIN.password}`).toString('base64')}`;
let reg: Awaited<ReturnType<typeof serveRegistry>>;
let realmHost = '';
const tokenAsks: { host: string; authorization: string }[] = [];
let repoDir = '';

beforeAll(async () => {
  repoDir = (await builtRepo()).dir;
  const uploads: Buffer[] = [];
  const takes = takesEverything(uploads);
  reg = await serveRegistry((req, body, res) => {
    const url = req.url ?? '/';
    if (url.startsWith('/token')) {
      tokenAsks.push({ host: req.headers.host ?? '', authorization: req.headers.authorization ?? '' });
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"tok"}');
    }
    if (req.headers.authorization !== 'Bearer tok')
      return void res
        .writeHead(401, {
          'www-authenticate': `Bearer realm="https://${realmHost}/token",service="registry"`,
        })
        .end();
    takes(req, body, res);
  });
});
afterAll(() => reg?.close());

/** A credentials.json (ours, 0600) with the login for the registry, and what else `entry` adds. */
function credentials(entry: Record<string, unknown> = {}): string {
  const file = path.join(tempDir('bp-creds-'), 'credentials.json');
  writeFileSync(file, JSON.stringify({ registries: { [reg.host]: { ...LOGIN, ...entry } } }), {
    mode: 0o600,
  });
  chmodSync(file, 0o600);
  return file;
}

const port = () => reg.host.split(':')[1]!;

async function publishWith(realm: string, creds: string | undefined) {
  realmHost = realm;
  tokenAsks.length = 0;
  configureTransports({ credentialsFile: creds });
  return publishRepository(repoDir, `oci://${reg.host}/blueprint/modules`).then(
    () => 'published',
    (e: unknown) => e,
  );
}

describe("a registry's token service on another host", () => {
  it('is not sent the login: the publish is refused, naming the host and how to trust it', async () => {
    const got = await publishWith(`localhost:${port()}`, credentials());
    expect(got).toMatchObject({ code: 'access-denied' });
    expect((got as Error).message).toContain('localhost');
    expect((got as { hint?: string }).hint).toContain('"tokenHosts": ["localhost"]');
    expect(tokenAsks.map((a) => a.authorization)).not.toContain(BASIC);
    expect(tokenAsks).toEqual([]);
  });

  it("on the registry's own host name (GitHub's flow), gets the login (control)", async () => {
    const got = await publishWith(`127.0.0.1:${port()}`, credentials());
    expect(got).toBe('published');
    expect(tokenAsks[0]).toEqual({ host: reg.host, authorization: BASIC });
  });

  it('named by the admin for this registry (tokenHosts), gets the login', async () => {
    const got = await publishWith(`localhost:${port()}`, credentials({ tokenHosts: ['localhost'] }));
    expect(got).toBe('published');
    expect(tokenAsks[0]).toEqual({ host: `localhost:${port()}`, authorization: BASIC });
  });

  it('without a login, is asked for a token anonymously (nothing to keep from it)', async () => {
    await publishWith(`localhost:${port()}`, undefined);
    expect(tokenAsks.length).toBeGreaterThan(0);
    expect(tokenAsks.every((a) => a.host === `localhost:${port()}` && a.authorization === '')).toBe(true);
  });

  it('a tokenHosts that is not a list of host names is refused, not guessed at', async () => {
    const got = await publishWith(`localhost:${port()}`, credentials({ tokenHosts: 'localhost' }));
    expect(got).toMatchObject({ code: 'credentials-bad' });
    expect(tokenAsks).toEqual([]);
  });

  it("the environment's login (CI) goes to another host only when BLUEPRINT_REGISTRY_TOKEN_HOSTS names it", async () => {
    realmHost = `localhost:${port()}`;
    configureTransports({ credentialsFile: undefined });
    const env = { BLUEPRINT_REGISTRY_USER: LOGIN.username, BLUEPRINT_REGISTRY_PASSWORD: LOGIN.password };
    const to = `oci://${reg.host}/blueprint/modules`;
    try {
      tokenAsks.length = 0;
      const refused = await publishFromCli(repoDir, to, { env }).catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'access-denied' });
      expect(tokenAsks).toEqual([]);
      await publishFromCli(repoDir, to, { env: { ...env, BLUEPRINT_REGISTRY_TOKEN_HOSTS: 'localhost' } });
      expect(tokenAsks[0]).toEqual({ host: `localhost:${port()}`, authorization: BASIC });
    } finally {
      configureTransports({ registryLogin: undefined });
    }
  });
});
