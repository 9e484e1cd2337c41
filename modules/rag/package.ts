/**
 * Image recipe of the rag module: turns this folder into a package source folder that
 * `blueprint repo build` signs into a .bpkg.
 *
 *   node modules/rag/package.ts --out SRC [--version X.Y.Z] [--name NAME]   (Node 24)
 *
 * SRC gets manifest.json (with its `uses`: embeddings, vectors and llm), the Containerfile, the
 * README and rootfs/: node + the shared libraries it links, and the esbuild bundle of server/ with
 * the kit, pdf.js, htmlparser2, marked and jszip (for .docx/.odt) inside, with its CycloneDX SBOM
 * beside it (app/sbom.cdx.json, kit/image-sbom.ts). No native addon, no model: the models are the used
 * modules'.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Metafile, Plugin } from 'esbuild';
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
import { writeImageSbom } from '../kit/image-sbom.ts';

const here = import.meta.dirname;

/**
 * pdf.js keeps a stream's whole decoded bytes in memory with no bound, in ArrayBuffers, outside the
 * parse worker's bounded heap: a 1 MB upload of one Flate stream decoded to 1 GiB (an
 * out-of-memory kill of the service, the container having 1 GiB). It decodes on two paths: its own
 * DecodeStream, a buffer doubling as it fills, and Flate through the platform's
 * DecompressionStream, its chunks gathered and then copied into one array. Both are charged here,
 * before each allocation, to the document's budget, which server/parse-pdf.ts sets (its PDF_BUDGET)
 * and turns into a 413. The texts patched are pdf.js's own: a build fails rather than leave a bound
 * out when an upgrade of pdf.js changes them.
 */
const PDF_BUDGET = '__blueprintPdfBudget';
const charge = (what: string) => `globalThis.${PDF_BUDGET}?.take(${what});\n`;
const PDF_PATCHES: [anchor: string, insert: string][] = [
  // TimeSlotManager.check, which pdf.js calls before each operator of a page or form it reads:
  // the document's parse time (server/parse-pdf.ts, DecodeBudget.tick) is looked at there, since pdf.js
  // draws forms in promise callbacks alone and no timer runs meanwhile.
  [
    `class TimeSlotManager {
  static TIME_SLOT_DURATION_MS = 20;
  static CHECK_TIME_EVERY = 100;
  constructor() {
    this.reset();
  }
  check() {
`,
    `    globalThis.${PDF_BUDGET}?.tick();\n`,
  ],
  // DecodeStream.ensureBuffer: the new buffer's size, charged before it is made.
  [
    `  ensureBuffer(requested) {
    const buffer = this.buffer;
    if (requested <= buffer.byteLength) {
      return buffer;
    }
    let size = this.minBufferLength;
    while (size < requested) {
      size *= 2;
    }
`,
    `    ${charge('size')}`,
  ],
  // asyncGetBytesFromDecompressionStream: each chunk as it comes (inside its try: a refusal falls
  // back to the DecodeStream path, which the spent budget refuses too)...
  [
    `        chunks.push(chunk);
        totalLength += chunk.byteLength;
`,
    `        ${charge('chunk.byteLength')}`,
  ],
  // ...and the array they are then copied into (the chunks still held).
  [
    `      if (chunks.length === 1) {
        return {
          decompressed: chunks[0],
          compressed: bytes
        };
      }
`,
    `      ${charge('totalLength')}`,
  ],
];

const pdfDecodeBudget: Plugin = {
  name: 'pdf-decode-budget',
  setup(build) {
    build.onLoad({ filter: /pdfjs-dist[\\/]legacy[\\/]build[\\/]pdf\.worker\.mjs$/ }, (args) => {
      let text = readFileSync(args.path, 'utf8');
      for (const [anchor, insert] of PDF_PATCHES) {
        const parts = text.split(anchor);
        if (parts.length !== 2)
          throw new Error(
            `${args.path}: pdf.js is not the code the decode budget patches (${anchor.trim().split('\n')[0]})`,
          );
        text = parts.join(`${anchor}${insert}`);
      }
      return { contents: text, loader: 'js' };
    });
  },
};

/**
 * The server, one ES module (the same file is its parse worker's code); esbuild's metafile of it
 * (what went into it, for the image's SBOM).
 */
export async function bundleServer(outFile: string): Promise<Metafile> {
  let metafile: Metafile | undefined;
  await bundleModuleServer(here, outFile, {
    // pdf.js polyfills canvas classes from this optional native package when present; text
    // extraction never draws, so the image leaves it out (pdf.js then only logs a warning).
    external: ['@napi-rs/canvas'],
    logLevel: 'error',
    metafile: true,
    plugins: [
      pdfDecodeBudget,
      {
        name: 'metafile',
        setup(b) {
          b.onEnd((result) => {
            metafile = result.metafile;
          });
        },
      },
    ],
  });
  if (!metafile) throw new Error('esbuild gave no metafile of the rag server bundle');
  return metafile;
}

/** The image root: Node and its libraries, the bundle, its SBOM (kit/image-sbom.ts), mount points. */
const assembleRootfs =
  (manifest: Record<string, unknown>) =>
  async (rootfs: string, arch: Arch): Promise<void> => {
    putNodeRuntime(rootfs, [], undefined, arch);
    const metafile = await bundleServer(join(rootfs, 'app/server.mjs'));
    // The used modules' sockets and tokens are mounted under /run/blueprint by the wiring.
    makeMountPoints(rootfs, ['run/rag', 'var/lib/rag', 'run/blueprint']);
    writeImageSbom(rootfs, manifest, [metafile]);
  };

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
  return writePackageSource(
    here,
    out,
    manifest,
    assembleRootfs(manifest),
    ['Containerfile', 'README.md'],
    opts.arches,
  );
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
