/**
 * Real servers for the remote repository tests: Debian's docker-registry (the CNCF distribution
 * registry) on 127.0.0.1 with TLS from a throw-away CA, and s3rver. Nothing here is a registry or
 * S3 implementation of ours.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import path from 'node:path';
import { tempDir } from './pkg.js';

export const haveRegistry = existsSync('/usr/bin/docker-registry') && existsSync('/usr/bin/htpasswd');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/**
 * A new EC P-256 key NAME.key in `dir` and, for `subject`, a certificate NAME.pem signed by itself
 * (valid two days) or a request NAME.csr (openssl).
 */
function newKey(dir: string, name: string, subject: string, out: 'self-signed' | 'request'): void {
  const self = out === 'self-signed';
  execFileSync(
    'openssl',
    [
      'req',
      ...(self ? ['-x509', '-days', '2'] : []),
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.${self ? 'pem' : 'csr'}`,
      '-subj',
      subject,
    ],
    { cwd: dir, stdio: 'pipe' },
  );
}

/** A CA and a server certificate for 127.0.0.1 signed by it (openssl). */
export function testCa(dir: string): { ca: string; cert: string; key: string; caPem: string } {
  const o = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  newKey(dir, 'ca', '/CN=Blueprint test CA', 'self-signed');
  newKey(dir, 'server', '/CN=127.0.0.1', 'request');
  writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  o([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  ]);
  return {
    ca: path.join(dir, 'ca.pem'),
    cert: path.join(dir, 'server.pem'),
    key: path.join(dir, 'server.key'),
    caPem: readFileSync(path.join(dir, 'ca.pem'), 'utf8'),
  };
}

export interface Registry {
  url: string;
  host: string;
  caPem: string;
  stop: () => void;
}

/**
 * Starts docker-registry on 127.0.0.1 over TLS. `users` makes it demand basic auth from an
 * htpasswd file (bcrypt entries: the registry refuses MD5); `auth` replaces the auth section.
 */
export async function startRegistry(
  opts: {
    users?: Record<string, string>;
    auth?: string;
    tls?: { cert: string; key: string; caPem: string };
  } = {},
): Promise<Registry> {
  const dir = tempDir('bp-registry-');
  const tls = opts.tls ?? testCa(dir);
  const port = await freePort();
  let auth = opts.auth ?? '';
  if (opts.users) {
    const lines = Object.entries(opts.users).map(([u, p]) =>
      execFileSync('htpasswd', ['-Bbn', u, p]).toString().trim(),
    );
    writeFileSync(path.join(dir, 'htpasswd'), `${lines.join('\n')}\n`);
    auth = `auth:\n  htpasswd:\n    realm: blueprint-test\n    path: ${path.join(dir, 'htpasswd')}\n`;
  }
  writeFileSync(
    path.join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n  tls:\n    certificate: ${tls.cert}\n    key: ${tls.key}\n${auth}`,
  );
  const child: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', path.join(dir, 'config.yml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (d) => (log += d));
  const host = `127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`docker-registry did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `oci://${host}`, host, caPem: tls.caPem, stop: () => child.kill('SIGTERM') };
}

/**
 * A token service the way GitHub's registry uses one (the registry is the real docker-registry):
 * `GET /token?service=…&scope=repository:NAME:ACTIONS` answers `{"token": JWT}`, ES256-signed with
 * a key whose certificate the registry trusts (x5c header). Anonymous callers get pull on `public`
 * names only; a caller with the right basic login gets what it asks. It records what it was asked.
 */
export async function startTokenRegistry(login: { username: string; password: string }) {
  const { createServer: httpsServer } = await import('node:https');
  const { createSign, randomUUID } = await import('node:crypto');
  const dir = tempDir('bp-token-');
  const tls = testCa(dir);
  newKey(dir, 'jwt', '/CN=token signer', 'self-signed');
  const jwtKey = readFileSync(path.join(dir, 'jwt.key'), 'utf8');
  const der = execFileSync('openssl', ['x509', '-in', 'jwt.pem', '-outform', 'DER'], { cwd: dir }).toString(
    'base64',
  );
  const asked: { scope: string; authorized: boolean }[] = [];
  const b64 = (x: unknown) => Buffer.from(JSON.stringify(x)).toString('base64url');
  const server = httpsServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, (req, res) => {
    const u = new URL(req.url ?? '/', 'https://x');
    const scope = u.searchParams.get('scope') ?? '';
    const auth = req.headers.authorization ?? '';
    const authorized =
      auth === `Basic ${Buffer.from(`${login.username}:${login.password}`).toString('base64')}`;
    asked.push({ scope, authorized });
    if (auth && !authorized) {
      res.writeHead(401).end();
      return;
    }
    const m = /^repository:([^:]+):(.+)$/.exec(scope);
    const wanted = m ? m[2]!.split(',') : [];
    const actions = authorized
      ? wanted
      : m?.[1]?.startsWith('public/')
        ? wanted.filter((a) => a === 'pull')
        : [];
    const now = Math.floor(Date.now() / 1000);
    const head = b64({ typ: 'JWT', alg: 'ES256', x5c: [der] });
    const body = b64({
      iss: 'test-issuer',
      sub: authorized ? login.username : '',
      aud: 'test-registry',
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access: m ? [{ type: 'repository', name: m[1], actions }] : [],
    });
    const sig = createSign('SHA256')
      .update(`${head}.${body}`)
      .sign({ key: jwtKey, dsaEncoding: 'ieee-p1363' });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token: `${head}.${body}.${sig.toString('base64url')}` }));
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const reg = await startRegistry({
    tls,
    auth: `auth:\n  token:\n    realm: https://127.0.0.1:${port}/token\n    service: test-registry\n    issuer: test-issuer\n    rootcertbundle: ${path.join(dir, 'jwt.pem')}\n`,
  });
  return {
    ...reg,
    asked,
    stop: () => {
      reg.stop();
      server.close();
    },
  };
}
