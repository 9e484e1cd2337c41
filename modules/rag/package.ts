/**
 * Image recipe of the rag module: turns this folder into a package source folder that
 * `blueprint repo build` signs into a .bpkg.
 *
 *   node modules/rag/package.ts --out SRC [--version X.Y.Z] [--name NAME]   (Node 24)
 *
 * SRC gets manifest.json (with its `uses`: embeddings, vectors and llm), the Containerfile, the
 * README and rootfs/: node + the shared libraries it links, and the esbuild bundle of server/ with
 * the kit, pdf.js, htmlparser2 and marked inside. No native addon, no model: the models are the
 * used modules'.
 */
import { join, resolve } from 'node:path';
import {
  type Arch,
  bundleModuleServer,
  freshSource,
  makeMountPoints,
  parseArches,
  putNodeRuntime,
  recipeMain,
  recipeOptions,
  writePackageSource,
} from '../kit/image.ts';

const here = import.meta.dirname;

/** The server, one ES module (the same file is its parse worker's code). */
export async function bundleServer(outFile: string): Promise<void> {
  await bundleModuleServer(here, outFile, {
    // pdf.js polyfills canvas classes from this optional native package when present; text
    // extraction never draws, so the image leaves it out (pdf.js then only logs a warning).
    external: ['@napi-rs/canvas'],
    logLevel: 'error',
  });
}

async function assembleRootfs(rootfs: string, arch: Arch): Promise<void> {
  putNodeRuntime(rootfs, [], undefined, arch);
  await bundleServer(join(rootfs, 'app/server.mjs'));
  // The used modules' sockets and tokens are mounted under /run/blueprint by the wiring.
  makeMountPoints(rootfs, ['run/rag', 'var/lib/rag', 'run/blueprint']);
}

export interface RagSourceOptions {
  out: string;
  version?: string;
  name?: string;
  /** Replaces the manifest's `uses` (e.g. other version ranges for a test repository). */
  uses?: string[];
  /** The architectures to make an image root for (default: this machine's). */
  arches?: Arch[];
}

export async function makePackageSource(
  opts: RagSourceOptions,
): Promise<{ dir: string; manifest: Record<string, unknown> }> {
  const { out, manifest } = freshSource(here, opts.out, opts);
  if (opts.uses) manifest.uses = opts.uses;
  return writePackageSource(here, out, manifest, assembleRootfs, ['Containerfile', 'README.md'], opts.arches);
}

/** The name the other modules' recipes use for this. */
export const makeRagPackageSource = makePackageSource;

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  await recipeMain({
    usage: ['usage: node modules/rag/package.ts --out SOURCE_DIR [--version X.Y.Z] [--name NAME]'],
    readme: 'modules/rag/README.md',
    options: recipeOptions,
    required: ['out'],
    make: (v) =>
      makePackageSource({ out: v.out!, version: v.version, name: v.name, arches: parseArches(v.arch) }),
  });
}
