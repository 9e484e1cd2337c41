import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { signFile } from '../../src/core/pkg/build.js';
import { buildRepository, generateSigningKey, type UnpackedPackage } from '../../src/core/pkg/index.js';
import { readPrivateKey, signDetached } from '../../src/core/pkg/signing.js';
import { removeTempDirs, tempDir } from '../setup/temp-registry.js';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
// BLUEPRINT_BIN: the same checks against another build (test/arm64 runs dist/blueprint-arm64 under qemu-user).
export const blueprintExe = process.env.BLUEPRINT_BIN ?? path.join(repoRoot, 'dist/blueprint');

// The hand-made archives' tar writer lives beside this kit, its own job; its tests import it from here.
export { type RawEntry, rawTar } from './raw-tar.js';
// tempDir lives beside the after-file clean-up (built-ins only); tests that load the package helpers anyway take it here.
export { removeTempDirs, tempDir };

export interface TestKey {
  dir: string;
  privateFile: string;
  publicFile: string;
  publicKey: string;
  privateKey: string;
  revocationCertificate: string;
  fingerprint: string;
}

/** A throw-away signing key made for one test run (never committed). */
export async function makeKey(
  dir: string,
  opts: { expiresInSeconds?: number; date?: Date; name?: string } = {},
): Promise<TestKey> {
  const k = await generateSigningKey(opts.name ?? 'Test repository', 'test@blueprintos.invalid', opts);
  mkdirSync(dir, { recursive: true });
  const privateFile = path.join(dir, 'signing-key.asc');
  const publicFile = path.join(dir, 'signing-key.pub.asc');
  writeFileSync(privateFile, k.privateKey);
  writeFileSync(publicFile, k.publicKey);
  return { dir, privateFile, publicFile, ...k };
}

export interface SourceSpec {
  name: string;
  version: string;
  arch?: string;
  depends?: string[];
  summary?: string;
  files?: Record<string, string | Buffer>;
  manifestExtra?: Record<string, unknown>;
}

/** The package most repositories in these tests publish first. */
export const GOOD: SourceSpec = { name: 'good', version: '1.0.0', summary: 'the genuine summary' };

/** A package and the library it depends on. */
export const APP_WITH_LIB: SourceSpec[] = [
  { name: 'base-lib', version: '1.0.0' },
  { name: 'app', version: '1.0.0', depends: ['base-lib >=1.0.0'] },
];

/** Writes a package source folder (manifest.json + payload/). */
export function makeSource(base: string, spec: SourceSpec): string {
  const dir = path.join(base, `${spec.name}-${spec.version}`);
  mkdirSync(path.join(dir, 'payload'), { recursive: true });
  writeFileSync(
    path.join(dir, 'manifest.json'),
    JSON.stringify({
      name: spec.name,
      version: spec.version,
      arch: spec.arch ?? 'all',
      summary: spec.summary ?? `${spec.name} test package`,
      depends: spec.depends ?? [],
      ...spec.manifestExtra,
    }),
  );
  for (const [rel, content] of Object.entries(
    spec.files ?? { 'share/README': `${spec.name} ${spec.version}\n` },
  )) {
    const f = path.join(dir, 'payload', rel);
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, content);
  }
  return dir;
}

export async function buildRepo(
  repoDir: string,
  key: TestKey,
  sources: string[],
  extra: { now?: Date; expiresInDays?: number } = {},
) {
  const index = await buildRepository({
    sources,
    repoDir,
    name: 'test',
    signer: { keyFile: key.privateFile },
    ...extra,
  });
  // repo build also stores each index's signature under its hash (by-hash/: what a reader checks
  // when the .asc does not verify, for a copy caught between the two). The tests that tamper with
  // a served .asc mean "no good signature"; those about the fallback build with buildRepository
  // (test/security/repo-build-by-hash) or store one themselves (by-hash-fallback).
  rmSync(path.join(repoDir, 'by-hash'), { recursive: true, force: true });
  return index;
}

/** Builds `specs` into the repository at `repoDir` (a new index version), each source in a fresh temp folder. */
export async function publishSources(
  repoDir: string,
  key: TestKey,
  specs: SourceSpec[],
  extra: { now?: Date; expiresInDays?: number } = {},
) {
  const src = tempDir('bp-src-');
  return buildRepo(
    repoDir,
    key,
    specs.map((s) => makeSource(src, s)),
    extra,
  );
}

/** A signed folder repository of `specs`, and its key: a fresh one unless `key` is given. */
export async function signedRepo(
  specs: SourceSpec[],
  key?: TestKey,
): Promise<{ key: TestKey; repo: string }> {
  const k = key ?? (await makeKey(path.join(tempDir(), 'key')));
  const repo = path.join(tempDir(), 'repo');
  await publishSources(repo, k, specs);
  return { key: k, repo };
}

/** A root's folder of kept index files (lists/), or a path below it. */
export const lists = (root: string, ...rest: string[]) =>
  path.join(root, 'var/lib/blueprint/pkg/lists', ...rest);

/** A root's configuration file of repository `name`. */
export const repoFile = (root: string, name = 'main') =>
  path.join(root, 'etc/blueprint/repos.d', `${name}.json`);

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built executable (dist/blueprint, or via a `bpkg` link) like a user would. */
export function run(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; argv0?: string; input?: string; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(blueprintExe, args, {
      env: { PATH: '/usr/bin:/bin', HOME: os.tmpdir(), ...opts.env },
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      argv0: opts.argv0 ?? 'blueprint',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal === 'SIGKILL' ? 137 : 128), stdout, stderr }),
    );
    // A command that does not read its input (--help) may exit before the write lands: EPIPE then
    // is the child's business, and its exit code is what the test judges.
    child.stdin.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') reject(err);
    });
    child.stdin.end(opts.input ?? '');
  });
}

export const bpkg = (root: string, args: string[], env?: NodeJS.ProcessEnv) =>
  run(['--root', root, ...args], { argv0: 'bpkg', ...(env ? { env } : {}) });

/** A box root that trusts `key` and has repository `main` at `repoDir`, updated. */
export async function trustingRoot(key: TestKey, repoDir: string): Promise<string> {
  const root = tempDir('bp-root-');
  const { PackageManager } = await import('../../src/core/pkg/index.js');
  const pm = new PackageManager({ root });
  await pm.keyring.add(key.publicKey, key.fingerprint);
  await pm.repos.add('main', repoDir);
  const [outcome] = await pm.update();
  if (!outcome?.ok) throw new Error(`update failed: ${JSON.stringify(outcome)}`);
  return root;
}

/**
 * A root trusting a signed repository of GOOD and a package manager on it whose prepare hook
 * records each package it prepares (as `line` words it), with good installed (the hook tests).
 */
export async function preparedGood(line: (pkg: UnpackedPackage) => string) {
  const { key, repo } = await signedRepo([GOOD]);
  const { PackageManager } = await import('../../src/core/pkg/index.js');
  const prepared: string[] = [];
  const hooks = { prepare: async (pkg: UnpackedPackage) => void prepared.push(line(pkg)) };
  const pm = new PackageManager({ root: await trustingRoot(key, repo), hooks });
  await pm.install(['good']);
  return { key, repo, pm, prepared };
}

/**
 * A copy of `from` (a repository folder) served to `root` in place of what its repository `main`
 * names: the root's config then points at the copy, which a test may change at will.
 */
export function serveCopy(root: string, from: string): string {
  const served = path.join(tempDir(), 'served');
  cpSync(from, served, { recursive: true });
  const file = repoFile(root);
  const config = JSON.parse(readFileSync(file, 'utf8')) as { url: string };
  writeFileSync(file, JSON.stringify({ ...config, url: `file://${served}` }));
  return served;
}

/**
 * A new folder holding only a signed index of `count` synthetic entries (`synthetic package I
 * ${about}`; no pool), large enough to span several of the quick path's 256 KB pieces.
 */
export async function syntheticRepo(
  key: TestKey,
  count: number,
  about: string,
  version = 1,
): Promise<string> {
  const dir = tempDir();
  const now = Date.now();
  const packages = Array.from({ length: count }, (_, i) => ({
    name: `pkg-${i}`,
    version: '1.0.0',
    arch: 'all',
    summary: `synthetic package ${i} ${about}`,
    depends: [],
    size: 1000 + i,
    sha256: '0'.repeat(63) + (i % 10),
    path: `pool/pkg-${i}/pkg-${i}_1.0.0_all.bpkg`,
  }));
  const index = JSON.stringify({
    format: 1,
    repository: 'big',
    version,
    generated: new Date(now - 60_000).toISOString(),
    expires: new Date(now + 86_400_000).toISOString(),
    packages,
  });
  writeFileSync(path.join(dir, 'index.json'), index);
  writeFileSync(
    path.join(dir, 'index.json.asc'),
    await signDetached(Buffer.from(index), await readPrivateKey(key.privateKey)),
  );
  return dir;
}

/** The publisher's next index: serveCopy of `from` with `specs` built into it (a new index version). */
export async function serveNext(
  root: string,
  from: string,
  key: TestKey,
  specs: SourceSpec[],
): Promise<string> {
  const served = serveCopy(root, from);
  await publishSources(served, key, specs);
  return served;
}

/** Every file below `dir`, by its path relative to `from`: inode, mtime and bytes (equal only when nothing was written). */
export function filesSnapshot(dir: string, from = dir): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = statSync(p);
        out[path.relative(from, p)] = `${st.ino}:${st.mtimeMs}:${readFileSync(p).toString('base64')}`;
      }
    }
  };
  walk(dir);
  return out;
}

/**
 * Every file under the root's lists folder: name → inode, mtime and bytes, so that two snapshots
 * are equal only when nothing was written or replaced (a declined quick path writes nothing).
 */
export function listsSnapshot(root: string): Record<string, string> {
  return filesSnapshot(lists(root), root);
}

/** The (first) package archive of `name` in a built repository's pool. */
export function poolArchive(repoDir: string, name: string): string {
  const pool = path.join(repoDir, 'pool', name);
  const file = readdirSync(pool).find((f) => f.endsWith('.bpkg'));
  if (!file) throw new Error(`no .bpkg of ${name} in ${pool}`);
  return path.join(pool, file);
}

/** Flips a byte near the end of `name`'s archive in the pool: its signature no longer holds. */
export function damageArchive(repoDir: string, name: string): void {
  const archive = poolArchive(repoDir, name);
  const bytes = readFileSync(archive);
  bytes[bytes.length - 10]! ^= 0xff;
  writeFileSync(archive, bytes);
}

/** Puts a hand-made archive into a repository's pool as NAME_VERSION_all.bpkg, signed, and rebuilds the index. */
export async function publishRaw(
  repoDir: string,
  key: TestKey,
  name: string,
  version: string,
  archive: Buffer,
) {
  const rel = `pool/${name}/${name}_${version}_all.bpkg`;
  const file = path.join(repoDir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  await writeFile(file, archive);
  await signFile(file, { keyFile: key.privateFile });
  return buildRepo(repoDir, key, []);
}

export const manifestJson = (name: string, version: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ name, version, arch: 'all', summary: 'hostile test package', ...extra });

export async function readJson<T = unknown>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

export const exec = promisify(execFile);

/** Serves a folder over HTTP on 127.0.0.1; returns its base URL and a close function. */
export async function serveDir(dir: string): Promise<{ url: string; close: () => void }> {
  const { createServer } = await import('node:http');
  const server = createServer(async (req, res) => {
    try {
      const body = await readFile(path.join(dir, decodeURIComponent(req.url ?? '/').replace(/^\/+/, '')));
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => server.close(),
  };
}

/** A GnuPG home with one signing key made by gpg itself (Ed25519 unless `algo` says otherwise). */
export async function gpgKey(
  algo = 'ed25519',
  uid = 'GnuPG Publisher <gpg@blueprintos.invalid>',
): Promise<{ home: string; fingerprint: string; publicKey: string }> {
  const home = tempDir('bp-gnupg-');
  const env = { ...process.env, GNUPGHOME: home };
  await exec('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', uid, algo, 'sign', '1y'], { env });
  const { stdout } = await exec('gpg', ['--batch', '--with-colons', '--list-keys'], { env });
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(stdout)![1]!.toLowerCase();
  const { stdout: publicKey } = await exec('gpg', ['--batch', '--armor', '--export', fingerprint], { env });
  return { home, fingerprint, publicKey };
}

/** A signed folder repository of two packages, good 1.0.0 and other 2.0.0, and its key. */
export const twoPackageRepo = () =>
  signedRepo([GOOD, { name: 'other', version: '2.0.0', summary: 'another package' }]);
