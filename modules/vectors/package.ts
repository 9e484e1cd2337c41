/**
 * Image recipe of the vectors module: turns this folder into a package source folder that
 * `blueprint repo build` signs into a .bpkg.
 *
 *   node modules/vectors/package.ts --out SRC [--version X.Y.Z] [--name NAME]   (Node 24)
 *
 * SRC gets manifest.json, the Containerfile and rootfs/: node + its shared libraries, the esbuild
 * bundle of server/, and hnswlib-node's addon (compiled at npm install) with the two small
 * packages that load it, and multilingual-stemmer (its WebAssembly Greek stemmer, loaded by path at
 * the first Greek text index: server/greek-stemmer.ts), with the image's CycloneDX SBOM
 * (app/sbom.cdx.json, kit/image-sbom.ts: hnswlib-node and its compiled addon among them).
 */
import { join, resolve } from 'node:path';
import type { Metafile } from 'esbuild';
import {
  type Arch,
  bundleModuleServer,
  freshSource,
  gypAddon,
  makeMountPoints,
  nodeModules as modules,
  parseArches,
  putNodeRuntime,
  putter,
  recipeMain,
  recipeOptions,
  writePackageSource,
} from '../kit/image.ts';
import { writeImageSbom } from '../kit/image-sbom.ts';

const here = import.meta.dirname;

/** The server, one ES module; hnswlib-node stays external (a native addon, shipped as files). */
export async function bundleServer(outFile: string): Promise<Metafile> {
  return bundleModuleServer(here, outFile, { external: ['hnswlib-node'] });
}

/** Compiled by npm install for this machine; for arm64 cross-compiled once (modules/kit/native.ts). */
const addon = (arch: Arch) => gypAddon('hnswlib-node', 'build/Release/addon.node', arch);

/** rootfs/ for a FROM-scratch image of `manifest`, its SBOM last (what the root holds). */
const assembleRootfs = (manifest: Record<string, unknown>) => async (rootfs: string, arch: Arch) => {
  const put = putter(rootfs);
  putNodeRuntime(rootfs, [addon(arch)], undefined, arch);
  const metafile = await bundleServer(join(rootfs, 'app/server.mjs'));
  const nm = 'app/node_modules';
  for (const f of ['package.json', 'lib']) put(join(modules, 'hnswlib-node', f), `${nm}/hnswlib-node/${f}`);
  put(addon(arch), `${nm}/hnswlib-node/build/Release/addon.node`);
  for (const p of ['bindings', 'file-uri-to-path']) put(join(modules, p), `${nm}/${p}`);
  for (const f of ['package.json', 'LICENSE', 'dist'])
    put(join(modules, 'multilingual-stemmer', f), `${nm}/multilingual-stemmer/${f}`);
  makeMountPoints(rootfs, ['run/vectors', 'var/lib/vectors']);
  writeImageSbom(rootfs, manifest, [metafile]);
};

export async function makePackageSource(opts: {
  out: string;
  version?: string;
  name?: string;
  /** The architectures to make an image root for (default: this machine's). */
  arches?: Arch[];
}): Promise<{ dir: string; manifest: Record<string, unknown> }> {
  const { out, manifest } = freshSource(here, opts.out, opts);
  return writePackageSource(here, out, manifest, assembleRootfs(manifest), undefined, opts.arches);
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  await recipeMain({
    usage: ['usage: node modules/vectors/package.ts --out SOURCE_DIR [--version X.Y.Z] [--name NAME]'],
    readme: 'modules/vectors/README.md',
    options: recipeOptions,
    required: ['out'],
    make: (v) =>
      makePackageSource({ out: v.out!, version: v.version, name: v.name, arches: parseArches(v.arch) }),
  });
}
