/**
 * The set-up every module's end-to-end test shares (embeddings, vectors, llm, rag): a temporary
 * box root, a throw-away signing key, the module's package source(s) built and signed into one
 * repository with `blueprint repo build`, that key trusted and the repository added with `bpkg`,
 * the packages installed, and, after the tests, everything removed (containers, images, files).
 *
 * It registers its own `beforeAll`/`afterAll`, so a test file reads:
 *
 *   const e = moduleE2E({ prefix: 'bp-vec-e2e-', install: [name],
 *     sources: (work) => makePackageSource({ out: join(work, 'src'), name }).then((s) => [s.dir]) });
 *   ... await e.blueprint('service', 'start', name); e.call(name, 'GET', '/info') ...
 *
 * Built on test/services/helpers.ts (`cli`, the retrying `podman`) and test/helpers/pkg.ts.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { call, type Reply } from '../embeddings/helpers.js';
import { cli, podman } from '../services/helpers.js';
import { bpkg, makeKey, type RunResult, run, type TestKey, tempDir } from './pkg.js';

export { podman };

export interface ModuleE2E {
  /** The temporary folder holding the key, the repository, the sources and the box root. */
  readonly work: string;
  /** The box root every command runs with (`--root`). */
  readonly root: string;
  /** The signing key of the test repository (set once `beforeAll` has run). */
  readonly key: TestKey;
  /** The test repository's folder (signed with `key`, added to the box as `main`). */
  readonly repo: string;
  /** The service's socket on the box: ROOT/run/blueprint/services/NAME/api.sock. */
  socket(name: string): string;
  /** The module's data folder on the box (where the admin writes its access-token). */
  data(name: string): string;
  /** Where a version of a package is unpacked: ROOT/opt/blueprint/NAME/VERSION. */
  installed(name: string, version: string): string;
  /** `blueprint --root ROOT --json ARGS`: its JSON answer; throws with stderr when it fails. */
  blueprint(...args: string[]): Promise<Record<string, unknown>>;
  /** `blueprint --root ROOT ARGS` as it is (no --json, no throw). */
  run(args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult>;
  /** `bpkg --root ROOT ARGS`. */
  bpkg(args: string[]): Promise<RunResult>;
  /** Builds a package source into the test repository (an upgrade) and runs `bpkg update`. */
  publish(sourceDir: string): Promise<void>;
  /** One HTTP request to a module through its socket on the box. */
  call(
    name: string,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Reply>;
}

export interface ModuleE2EOptions {
  /** Prefix of the temporary folder (`bp-emb-e2e-`). */
  prefix: string;
  /** Writes the package source folders to build (each under `work`); they are signed into one repository. */
  sources(work: string): Promise<string[]>;
  /** Installed with `bpkg install` in this order after the repository is added. */
  install: string[];
  /** Removed at the end (default: `install`, in one `bpkg remove`, consumers with what they use). */
  remove?: string[];
  /** For `beforeAll` (building images takes minutes on a busy box). Default 300 s. */
  timeoutMs?: number;
}

export function moduleE2E(opts: ModuleE2EOptions): ModuleE2E {
  const work = tempDir(opts.prefix);
  const root = join(work, 'root');
  const repo = join(work, 'repo');
  let key: TestKey | undefined;
  // PATH as the user's: `service start` finds podman-less helpers (setfacl) there.
  const env = { PATH: process.env.PATH };
  const e: ModuleE2E = {
    work,
    root,
    repo,
    get key() {
      if (!key) throw new Error('moduleE2E: the key exists once beforeAll has run');
      return key;
    },
    socket: (name) => join(root, 'run/blueprint/services', name, 'api.sock'),
    data: (name) => join(root, 'var/lib/blueprint/modules', name),
    installed: (name, version) => join(root, 'opt/blueprint', name, version),
    async blueprint(...args) {
      const r = await cli(root, args);
      if (r.code !== 0) throw new Error(`blueprint ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return r.json;
    },
    run: (args, extra) => run(['--root', root, ...args], { env: { ...env, ...extra } }),
    bpkg: (args) => bpkg(root, args, env),
    async publish(dir) {
      const built = await run(['repo', 'build', dir, '--repo', repo, '--key', e.key.privateFile], { env });
      expect(built.code, built.stderr).toBe(0);
      const r = await e.bpkg(['update']);
      expect(r.code, `bpkg update: ${r.stderr}`).toBe(0);
    },
    call: (name, method, path, body, headers) => call(e.socket(name), method, path, body, headers),
  };

  beforeAll(async () => {
    key = await makeKey(join(work, 'key'));
    const dirs = await opts.sources(work);
    for (const dir of dirs) {
      const built = await run(['repo', 'build', dir, '--repo', repo, '--key', key.privateFile], { env });
      expect(built.code, built.stderr).toBe(0);
    }
    await trustRepository(e.bpkg, key, repo, ...opts.install.map((name) => ['install', name]));
  }, opts.timeoutMs ?? 300_000);

  afterAll(async () => {
    // One removal for all (a used module is refused while its user stays installed); when a test
    // removed some already, the rest one by one.
    const names = opts.remove ?? opts.install;
    if ((await e.bpkg(['--yes', 'remove', ...names])).code !== 0)
      for (const name of names) await e.bpkg(['--yes', 'remove', name]);
    rmSync(work, { recursive: true, force: true });
  }, 120_000);

  return e;
}

/**
 * A box (`bpkg`, bound to its root) trusting `key` for `repo`: the key added with its fingerprint,
 * the repository added as main, updated, then `more` (installs); each bpkg command exits 0.
 */
export async function trustRepository(
  bpkg: (args: string[]) => Promise<RunResult>,
  key: TestKey,
  repo: string,
  ...more: string[][]
): Promise<void> {
  for (const args of [
    ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint],
    ['repo', 'add', 'main', repo],
    ['update'],
    ...more,
  ]) {
    const r = await bpkg(args);
    expect(r.code, `bpkg ${args.join(' ')}: ${r.stderr}`).toBe(0);
  }
}

/**
 * A model file of the installed module changed on disk (`change` gives its new bytes), the service
 * stopped: its start fails and its log says `named` (the file's sha256 and the manifest's); the
 * file put back, it starts healthy again.
 */
export async function expectChangedFileRefused(
  e: ModuleE2E,
  name: string,
  file: string,
  change: (original: Buffer) => Buffer | string,
  named: RegExp,
): Promise<void> {
  await e.blueprint('service', 'stop', name);
  const original = readFileSync(file);
  writeFileSync(file, change(original));
  try {
    const r = await e.run(['--json', 'service', 'start', name]);
    expect(r.code).not.toBe(0);
    const logs = await e.run(['--json', 'service', 'logs', name]);
    expect(logs.stdout).toMatch(named);
  } finally {
    writeFileSync(file, original);
  }
  await e.blueprint('service', 'stop', name).catch(() => undefined);
  expect(await e.blueprint('service', 'start', name)).toMatchObject({ healthy: true });
}

/**
 * The service stopped (its socket gone: the service removes it on SIGTERM), then `bpkg remove`:
 * no container left, its image (`imageId`) gone, its installed folder gone.
 */
export async function expectRemovedWithoutTrace(
  e: ModuleE2E,
  name: string,
  o: { imageId: string; installed: string },
): Promise<void> {
  await e.blueprint('service', 'stop', name);
  expect(existsSync(e.socket(name))).toBe(false);
  const r = await e.bpkg(['remove', name]);
  expect(r.code, r.stderr).toBe(0);
  expect(
    (await podman('ps', '-a', '--filter', `name=blueprint-${name}`, '--format', '{{.Names}}')).trim(),
  ).toBe('');
  await expect(podman('image', 'exists', o.imageId)).rejects.toThrow();
  expect(existsSync(o.installed)).toBe(false);
}
