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

/** A CA and a server certificate for 127.0.0.1 signed by it (openssl). */
export function testCa(dir: string): { ca: string; cert: string; key: string; caPem: string } {
  const o = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  o([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=Blueprint test CA',
  ]);
  o([
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=127.0.0.1',
  ]);
  writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
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
