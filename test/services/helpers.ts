import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { appendFile, copyFile, cp, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { parseManifest } from '../../src/core/pkg/format.js';
import type { HookOptions, UnpackedPackage } from '../../src/core/pkg/hooks.js';
import { chooseSocket, type Engine, openEngine } from '../../src/core/services/engine.js';
import { createServiceHooks } from '../../src/core/services/hooks.js';
import { moduleImageTag } from '../../src/core/services/image-tags.js';
import { buildModuleImage } from '../../src/core/services/images.js';
import { containerName } from '../../src/core/services/policy.js';
import { bpkg, exec, makeKey, repoRoot, run, trustingRoot } from '../helpers/pkg.js';
import { imageTagged } from '../helpers/test-images.js';
import { dropTempDir, tempDir } from '../setup/temp-registry.js';

export { repoRoot };
export const helloSource = path.join(repoRoot, 'modules/hello');

/**
 * The hello module renamed `name`, built and signed by the executable (`blueprint repo build`: podman
 * build, its ID in the signed manifest) into a repository, and a new box root that trusts its key
 * and has it as `main`, updated: `bpkg install NAME` installs it there. `work` holds key and repository.
 */
export async function helloPackageRoot(
  name: string,
  env: NodeJS.ProcessEnv,
  work = tempDir('bp-svc-pkg-'),
  service: Record<string, unknown> = {},
): Promise<{ root: string; work: string }> {
  const src = path.join(work, 'src');
  helloCopy(src, { name, service });
  const key = await makeKey(path.join(work, 'key'));
  const repo = path.join(work, 'repo');
  const built = await run(['repo', 'build', src, '--repo', repo, '--key', key.privateFile], { env });
  if (built.code !== 0) throw new Error(`blueprint repo build failed (${built.code}): ${built.stderr}`);
  return { root: await trustingRoot(key, repo), work };
}

/**
 * A label of its own (`label`, KEY=VALUE; by default bp.test.own and random bytes) added to the
 * module copy `src`'s Containerfile: its image is built reproducibly (images.ts), so the same
 * contents would give the image ID of any other box's or test's hello on the engine (the demo's),
 * and a test that removes its image, or looks for it gone, would act on theirs.
 */
export function ownImageContents(src: string, label = `bp.test.own=${randomBytes(8).toString('hex')}`): void {
  appendFileSync(path.join(src, 'Containerfile'), `LABEL ${label}\n`);
}

/**
 * A copy of the hello module at `src` (its built rootfs left out), its image its own
 * (ownImageContents, with `label` when given), renamed `name` and its service section given `service`
 * when asked. Returns its manifest as written.
 */
export function helloCopy(
  src: string,
  opts: { name?: string; service?: Record<string, unknown>; label?: string } = {},
): Record<string, unknown> & { arch: string; service: Record<string, unknown> } {
  cpSync(helloSource, src, { recursive: true, filter: (f) => !f.includes('/rootfs') });
  ownImageContents(src, opts.label);
  const file = path.join(src, 'manifest.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  if (opts.name === undefined && opts.service === undefined) return manifest;
  const written = {
    ...manifest,
    ...(opts.name === undefined ? {} : { name: opts.name }),
    service: { ...manifest.service, ...opts.service },
  };
  writeFileSync(file, JSON.stringify(written));
  return written;
}

/** What tests left in the shared engine: removed after them (`afterAll(() => removeLeft(left))`). */
export interface EngineLeft {
  containers: string[];
  images: string[];
}

export async function removeLeft(left: EngineLeft): Promise<void> {
  for (const c of left.containers) await podman('rm', '-f', c).catch(() => {});
  for (const id of left.images) await podman('rmi', '--force', id).catch(() => {});
}

/**
 * hello installed as `uniqueName(base)` in a new box root (helloPackageRoot, `bpkg install`), its
 * registration's image ID; its container and image noted in `left`.
 */
export async function installedHello(
  base: string,
  env: NodeJS.ProcessEnv,
  left: EngineLeft,
): Promise<{ name: string; root: string; imageId: string; reg: string }> {
  const name = uniqueName(base);
  left.containers.push(`blueprint-${name}`);
  const { root } = await helloPackageRoot(name, env);
  const install = await bpkg(root, ['--yes', 'install', name], env);
  if (install.code !== 0) throw new Error(`bpkg install failed (${install.code}): ${install.stderr}`);
  const reg = path.join(root, 'var/lib/blueprint/services', name, '1.0.0.json');
  const imageId: string = JSON.parse(await readFile(reg, 'utf8')).spec.image.id;
  left.images.push(imageId);
  return { name, root, imageId, reg };
}

/** The tag a box's install gives a module's image (images.ts moduleImageTag), as `repo:tag`. */
export const ownImageTag = (name: string, version: string, root: string) => {
  const t = moduleImageTag(name, version, root);
  return `${t.repo}:${t.tag}`;
};

/** Unique per run: tests of several people share one Podman engine. */
export const uniqueName = (base: string) => `${base}-${randomBytes(3).toString('hex')}`;

export const quietHook = (yes = false): HookOptions & { warnings: string[] } => {
  const warnings: string[] = [];
  return { yes, info: () => {}, warn: (l) => warnings.push(l), warnings };
};

export interface HelloBuild {
  dir: string;
  archive: string;
  id: string;
  manifest: Record<string, unknown> & { service: Record<string, unknown> };
}

/**
 * Builds the hello module's image the way `blueprint repo build` does (podman build + save). Its
 * folder (the saved image) and its tag in Podman's storage are removed after the test file.
 */
export async function buildHello(): Promise<HelloBuild> {
  const dir = tempDir('bp-svc-build-');
  const archive = path.join(dir, 'image.tar');
  const tag = `localhost/bp-svc-test/${uniqueName('hello')}:1`;
  imageTagged(tag); // installs load the image back under this tag: removed after the file
  const src = tempDir('bp-svc-src-');
  helloCopy(src);
  const id = await buildModuleImage(src, tag, archive);
  const manifest = JSON.parse(await readFile(path.join(helloSource, 'manifest.json'), 'utf8'));
  manifest.service.image = { archive: 'image.tar', id };
  return { dir, archive, id, manifest };
}

/**
 * The hello module built with `lines` added to its Containerfile (LABEL, VOLUME...): what a
 * publisher's image can carry besides what the manifest says. Removed after the test file as above.
 */
export async function buildHelloWith(lines: string): Promise<HelloBuild> {
  const dir = tempDir('bp-svc-src-');
  await cp(helloSource, dir, { recursive: true });
  await appendFile(path.join(dir, 'Containerfile'), `${lines.trimEnd()}\n`);
  ownImageContents(dir);
  const archive = path.join(tempDir('bp-svc-build-'), 'image.tar');
  const tag = `localhost/bp-svc-test/${uniqueName('hello-with')}:1`;
  imageTagged(tag);
  const id = await buildModuleImage(dir, tag, archive);
  const manifest = JSON.parse(await readFile(path.join(helloSource, 'manifest.json'), 'utf8'));
  manifest.service.image = { archive: 'image.tar', id };
  return { dir, archive, id, manifest };
}

export interface TestBox {
  root: string;
  engine: Engine;
  hooks: ReturnType<typeof createServiceHooks>;
  /** "Installs" a module the way the package manager's transaction does: unpack, then hooks. */
  install(
    name: string,
    serviceOverrides?: Record<string, unknown>,
    opts?: { yes?: boolean; version?: string; hook?: HookOptions; manifest?: Record<string, unknown> },
  ): Promise<UnpackedPackage>;
  cleanup(): Promise<void>;
}

export async function makeBox(build: HelloBuild): Promise<TestBox> {
  const root = tempDir('bp-svc-root-');
  const engine = openEngine(chooseSocket(process.env).path);
  const hooks = createServiceHooks({ root });
  const installed: UnpackedPackage[] = [];
  return {
    root,
    engine,
    hooks,
    async install(name, overrides = {}, { yes = false, version = '1.0.0', hook, manifest: extra } = {}) {
      const manifest = parseManifest({
        ...build.manifest,
        ...extra,
        name,
        version,
        service: { ...build.manifest.service, ...overrides },
      });
      hooks.validateManifest!(manifest);
      const prefix = path.join(root, 'opt/blueprint', name, manifest.version);
      await mkdir(prefix, { recursive: true });
      await copyFile(build.archive, path.join(prefix, 'image.tar'));
      const pkg = { name, version: manifest.version, manifest, prefix };
      // The install tags the image with the module's own tag (images.ts): gone with the file,
      // like buildHello's, for a test that does not remove what it installed.
      imageTagged(ownImageTag(name, manifest.version, root));
      await hooks.prepare!(pkg, hook ?? quietHook(yes));
      installed.push(pkg);
      return pkg;
    },
    async cleanup() {
      for (const pkg of installed) await hooks.afterRemove!(pkg, quietHook());
      dropTempDir(root);
    },
  };
}

/**
 * The test file's box on `build()` (a new hello build unless given), nothing installed: made in the
 * file's beforeAll, cleaned up in its afterAll (after the file's own afterAll hooks, which run in
 * reverse). Both objects returned are whole once that beforeAll has run, so a file destructures
 * them at its top: `const { box, build } = emptyFileBox();`.
 */
export function emptyFileBox(
  build: () => HelloBuild | Promise<HelloBuild> = buildHello,
  timeout = 180_000,
): { box: TestBox; build: HelloBuild } {
  const made = { box: {} as TestBox, build: {} as HelloBuild };
  beforeAll(async () => {
    Object.assign(made.build, await build());
    Object.assign(made.box, await makeBox(made.build));
  }, timeout);
  afterAll(async () => {
    await made.box.cleanup?.();
  });
  return made;
}

/**
 * The test file's box (emptyFileBox) with the hello module installed in the file's beforeAll as
 * `name` (with the service's `overrides`) and, with `start`, started by the built executable.
 */
export function fileBox(
  build: () => HelloBuild | Promise<HelloBuild>,
  name: string,
  o: { overrides?: Record<string, unknown>; start?: boolean; timeout?: number } = {},
): TestBox {
  const { box } = emptyFileBox(build, o.timeout);
  beforeAll(async () => {
    await box.install(name, o.overrides);
    if (o.start) {
      const s = await cli(box.root, ['service', 'start', name]);
      expect(s.code, s.stderr).toBe(0);
    }
  }, o.timeout ?? 180_000);
  return box;
}

/** Whether the container engine's API socket is there (the real-Podman tests are skipped without it). */
export const engineUp = existsSync(
  process.env.CONTAINER_HOST?.replace('unix://', '') ?? '/run/podman/podman.sock',
);

export interface SwapBox {
  /** Whole once the file's beforeAll has run. */
  box: TestBox;
  build: HelloBuild;
  /** The service's name (hello installed as it). */
  name: string;
  /**
   * Behind blueprint's back: removes the service's container and runs `podman run -d ARGS` under
   * the service's container name and module label (ARGS: options, then the image and command).
   */
  swapIn(...args: string[]): Promise<void>;
}

/**
 * The test file's box with hello installed as a service named after `base`, for tests that put a
 * container of their own in the service's place: what the rating, the console's sandbox badge and
 * the web overview judge is the running container, as the kernel and the engine show it. The
 * container, the box and the hello build go in the file's afterAll.
 */
export function swapBox(base: string): SwapBox {
  const name = uniqueName(base);
  const s: SwapBox = {
    box: {} as TestBox,
    build: {} as HelloBuild,
    name,
    async swapIn(...args) {
      await podman('rm', '-f', '-t', '0', containerName(name)).catch(() => {});
      await podman(
        'run',
        '-d',
        '--name',
        containerName(name),
        '--label',
        `org.blueprintos.module=${name}`,
        ...args,
      );
    },
  };
  beforeAll(async () => {
    Object.assign(s.build, await buildHello());
    Object.assign(s.box, await makeBox(s.build));
    await s.box.install(name);
  }, 180_000);
  afterAll(async () => {
    await podman('rm', '-f', '-t', '0', containerName(name)).catch(() => {});
    await s.box.cleanup?.();
    if (s.build.dir) await rm(s.build.dir, { recursive: true, force: true });
  });
  return s;
}

/** Runs the built executable (`npm test` builds it first) and parses its --json answer. */
export async function cli(
  root: string,
  args: string[],
): Promise<{ code: number; json: Record<string, unknown> & Record<string, unknown>[]; stderr: string }> {
  const r = await run(['--root', root, '--json', ...args], { env: { PATH: process.env.PATH } });
  return { code: r.code, json: r.stdout ? JSON.parse(r.stdout) : {}, stderr: r.stderr };
}

export async function podman(...args: string[]): Promise<string> {
  // Podman 4.3 sometimes answers a removal with "device or resource busy" although the container is
  // going (../shared/ENVIRONMENT.md): retry it, and a container already gone is removed.
  for (let attempt = 0; ; attempt++) {
    try {
      return (await exec('podman', args)).stdout;
    } catch (err) {
      const text = String((err as { stderr?: string }).stderr ?? (err as Error).message);
      const removal = args[0] === 'rm' || (args[0] === 'container' && args[1] === 'rm');
      if (removal && attempt > 0 && /no such container/i.test(text)) return '';
      if (!removal || attempt >= 5 || !/device or resource busy/.test(text)) throw err;
      await new Promise((r) => setTimeout(r, 300 * (attempt + 1)));
    }
  }
}

/**
 * Runs a command the program printed for the user to paste (`sh -c`), as the user would: Podman 4.3's
 * removal sometimes fails "device or resource busy" just after a container stopped (the same flake
 * podman() and removeContainer retry; ../shared/ENVIRONMENT.md), and the user runs it again. The
 * commands are made to be run again (`rm -f --filter` of nothing left exits 0). Any other failure
 * throws at once.
 */
export async function runPasted(command: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      execFileSync('sh', ['-c', command], { stdio: 'pipe' });
      return;
    } catch (err) {
      const text = String((err as { stderr?: Buffer }).stderr ?? (err as Error).message);
      if (attempt >= 5 || !/device or resource busy/.test(text)) throw err;
      await new Promise((r) => setTimeout(r, 300 * (attempt + 1)));
    }
  }
}
