/**
 * An S3-protocol server for the tests (s3rver, on 127.0.0.1 and a free port, its files in a temp
 * folder) with the bucket `blueprint-repo`, as the repository publish and read tests use it, and
 * what those tests set up around it: the publisher's credentials, a box root whose AWS settings
 * name the server, a box trusting a key, a repository of several versions.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, request, type ServerResponse } from 'node:http';
import path from 'node:path';
import S3rver from 's3rver';
import { PackageManager } from '../../src/core/pkg/index.js';
import { configureTransports, transportFor } from '../../src/core/pkg/transport.js';
import { buildRepo, makeSource, type TestKey, tempDir } from './pkg.js';
import { freePort } from './registry.js';

export async function startS3rver(): Promise<{ server: S3rver; endpoint: string }> {
  const port = await freePort();
  const server = new S3rver({
    address: '127.0.0.1',
    port,
    silent: true,
    directory: tempDir('bp-s3rver-'),
    configureBuckets: [{ name: 'blueprint-repo', configs: [] }],
  });
  await server.run();
  return { server, endpoint: `http://127.0.0.1:${port}` };
}

/** The keys of the objects `server` stores (each PUT), as they come: empty it between steps. */
export function countPuts(server: S3rver): string[] {
  const puts: string[] = [];
  server.on('event', (e: { Records: { eventName: string; s3: { object: { key: string } } }[] }) => {
    for (const r of e.Records) if (r.eventName.startsWith('ObjectCreated')) puts.push(r.s3.object.key);
  });
  return puts;
}

/**
 * Passes `req` on to the S3 server at `endpoint` and its answer back (a test proxy's way through);
 * `etag` rewrites the answer's ETag (a bucket whose ETags are no MD5: SSE-KMS).
 */
export function forwardTo(
  endpoint: string,
  req: IncomingMessage,
  res: ServerResponse,
  etag?: (given: string) => string,
): void {
  const up = new URL(endpoint);
  const out = request(
    { host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      const headers = { ...answer.headers };
      if (etag && typeof headers.etag === 'string') headers.etag = etag(headers.etag);
      res.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(res);
    },
  );
  req.pipe(out);
}

/**
 * Other bytes of the same size stored at a published package's name, under its old SHA-256 as
 * metadata (what anyone who can write the bucket, or a failed upload, leaves there).
 */
export async function storeOtherBytes(repo: string, to: string, rel: string, work: string): Promise<void> {
  const index = JSON.parse(readFileSync(path.join(repo, 'index.json'), 'utf8')) as {
    packages: { path: string; sha256: string; size: number }[];
  };
  const entry = index.packages.find((p) => p.path === rel)!;
  const other = path.join(work, 'other');
  writeFileSync(other, randomBytes(entry.size));
  const fd = openSync(other, 'r');
  try {
    await (await transportFor(to)).put!(
      to,
      rel,
      { fd, size: entry.size },
      entry.sha256,
      new AbortController().signal,
    );
  } finally {
    closeSync(fd);
  }
}

/** A publisher's credentials for s3rver at `endpoint`, from its environment (the AWS way). */
export const publisherEnv = (endpoint: string) => ({
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_ENDPOINT_URL_S3: endpoint,
});

/**
 * A new box root whose /etc/blueprint/aws (credentials and config, root-only files as on a box)
 * names s3rver at `endpoint`; another `accessKey`, or a credentials file of another `mode`, for
 * the tests of their refusal.
 */
export function awsRoot(
  endpoint: string,
  o: { accessKey?: string; mode?: number; prefix?: string } = {},
): string {
  const root = tempDir(o.prefix ?? 'bp-root-');
  const aws = path.join(root, 'etc/blueprint/aws');
  mkdirSync(aws, { recursive: true });
  writeFileSync(
    path.join(aws, 'credentials'),
    `[default]\naws_access_key_id = ${o.accessKey ?? 'S3RVER'}\naws_secret_access_key = S3RVER\n`,
  );
  chmodSync(path.join(aws, 'credentials'), o.mode ?? 0o600);
  writeFileSync(path.join(aws, 'config'), `[default]\nregion = eu-west-1\nendpoint_url = ${endpoint}\n`);
  chmodSync(path.join(aws, 'config'), 0o600);
  return root;
}

/** A box on `root` that trusts `key` for its repository `main` at `url`. */
export async function trustingBox(root: string, url: string, key: TestKey): Promise<PackageManager> {
  const pm = new PackageManager({ root });
  await pm.keyring.add(key.publicKey, key.fingerprint);
  await pm.repos.add('main', url, { keys: [key.fingerprint] });
  return pm;
}

/** A repository folder of `good` signed by `key`, one build per version: its index has version `versions.length`. */
export async function goodVersions(key: TestKey, versions: string[]): Promise<string> {
  const base = tempDir();
  const repo = path.join(base, 'repo');
  for (const version of versions)
    await buildRepo(repo, key, [makeSource(path.join(base, 'src'), { name: 'good', version })]);
  return repo;
}

/**
 * Builds into `repo`, signed by `key`, one version of package `name` carrying `size` random bytes:
 * they do not compress, so a package of 9 MiB is one the CLI announces before its upload.
 */
export function buildBlobRepo(
  repo: string,
  key: TestKey,
  base: string,
  o: { name: string; version: string; size: number },
): Promise<unknown> {
  const files = { 'payload/blob': randomBytes(o.size) };
  return buildRepo(repo, key, [
    makeSource(path.join(base, 'src'), { name: o.name, version: o.version, files }),
  ]);
}

/**
 * A box installing good@1.0.0 from the published repository at `to`: the transports without the
 * publisher's environment, a box root naming s3rver at `endpoint`, trusting `key`. Returns what
 * its update said of the repository and the version then installed.
 */
export async function boxInstallsGood(endpoint: string, to: string, key: TestKey) {
  configureTransports({ env: {} });
  const pm = await trustingBox(awsRoot(endpoint), to, key);
  const updated = (await pm.update())[0];
  await pm.install(['good@1.0.0']);
  return { updated, installed: (await pm.installed())[0]?.version };
}
