/**
 * Model recipe and image recipe of the embeddings module: turns a model folder into a package
 * source folder that `blueprint repo build` signs into a .bpkg.
 *
 *   node modules/embeddings/package.ts --model DIR --out SRC [--version X.Y.Z]   (Node 24)
 *
 * SRC gets manifest.json (this folder's manifest with the model's name, every model file's SHA-256
 * in `files`, and the same map in the service environment so the service re-checks them at each
 * start), payload/models/NAME/, the Containerfile and rootfs/: node + its shared libraries, the
 * esbuild bundle of server/, and onnxruntime-node's linux-x64 files only, with the image's
 * CycloneDX SBOM (app/sbom.cdx.json, kit/image-sbom.ts: onnxruntime-node and its native library
 * among them).
 */
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Metafile } from 'esbuild';
import { placeModel } from '../../scripts/models/model-payload.ts';
import {
  type Arch,
  bundleModuleServer,
  cpuOf,
  freshSource,
  makeMountPoints,
  nodeModules as modules,
  parseArches,
  putNodeRuntime,
  putter,
  recipeMain,
  recipeOptions,
  requireBanner,
  writePackageSource,
} from '../kit/image.ts';
import { writeImageSbom } from '../kit/image-sbom.ts';

const here = import.meta.dirname;

/** The server and its worker, one ES module (the worker thread loads the same file); esbuild's metafile of it. */
export async function bundleServer(outFile: string): Promise<Metafile> {
  return bundleModuleServer(here, outFile, {
    // Native addon and the API package it shares with transformers.js: shipped as files (one copy).
    external: ['onnxruntime-node', 'onnxruntime-common'],
    alias: { sharp: join(here, 'server/sharp-stub.ts') },
    banner: requireBanner,
  });
}

/** rootfs/ for a FROM-scratch image of `manifest`, its SBOM last (what the root holds). */
// ONNX Runtime's npm package ships its CPU binding and library for linux x64 and arm64 alike.
const assembleRootfs = (manifest: Record<string, unknown>) => async (rootfs: string, arch: Arch) => {
  const ort = join(modules, 'onnxruntime-node');
  const ortDir = `bin/napi-v6/linux/${cpuOf(arch)}`;
  const ortLib = join(ort, ortDir);
  const put = putter(rootfs);
  putNodeRuntime(rootfs, [join(ortLib, 'onnxruntime_binding.node')], ortLib, arch);
  const metafile = await bundleServer(join(rootfs, 'app/server.mjs'));
  const app = join(rootfs, 'app/node_modules');
  for (const f of ['package.json', 'dist']) put(join(ort, f), join('app/node_modules/onnxruntime-node', f));
  for (const f of readdirSync(ortLib))
    put(join(ortLib, f), join('app/node_modules/onnxruntime-node', ortDir, f));
  cpSync(join(modules, 'onnxruntime-common'), join(app, 'onnxruntime-common'), { recursive: true });
  makeMountPoints(rootfs, ['models', 'run/embeddings', 'var/lib/embeddings']);
  writeImageSbom(rootfs, manifest, [metafile]);
};

export interface SourceOptions {
  /** A sentence-transformers model folder: config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx. */
  model: string;
  /** The package source folder to (re)create. */
  out: string;
  version?: string;
  /** Package name (default "embeddings"); tests use unique names on the shared engine. */
  name?: string;
  /** The architectures to make an image root for (default: this machine's). */
  arches?: Arch[];
}

export async function makePackageSource(
  opts: SourceOptions,
): Promise<{ dir: string; manifest: Record<string, unknown> }> {
  const model = resolve(opts.model);
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
    if (!existsSync(join(model, f)))
      throw new Error(`${model} has no ${f}: not a transformers.js model folder`);
  }
  const { out, manifest } = freshSource(here, opts.out, opts);
  const { name, files } = placeModel(model, out);
  const service = manifest.service as { env: Record<string, string> };
  service.env = { ...service.env, EMBEDDINGS_MODEL: name, EMBEDDINGS_FILES: JSON.stringify(files) };
  manifest.files = files;
  manifest.description = `${manifest.description} Model: ${name}.`;
  return writePackageSource(here, out, manifest, assembleRootfs(manifest), undefined, opts.arches);
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  await recipeMain({
    usage: [
      'usage: node modules/embeddings/package.ts --model MODEL_DIR --out SOURCE_DIR [--version X.Y.Z] [--name NAME]',
    ],
    readme: 'modules/embeddings/README.md',
    options: { model: { type: 'string' }, ...recipeOptions },
    required: ['model', 'out'],
    make: (v) =>
      makePackageSource({
        model: v.model!,
        out: v.out!,
        version: v.version,
        name: v.name,
        arches: parseArches(v.arch),
      }),
    describe: (m) => `${Object.keys(m.files as object).length} model files`,
  });
}
