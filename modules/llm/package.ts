/**
 * Image recipe of the llm module: makes the package source folder that `blueprint repo build` signs.
 *
 *   node modules/llm/package.ts --out SRC [--version X.Y.Z] [--name NAME] [--context N] [--memory 2g]
 *   node modules/llm/package.ts --model DIR --out SRC …   (a model built in; see below)
 *   node modules/llm/package.ts --cuda LIBS --out SRC …   (the CUDA variant; see cuda.ts)
 *
 * SRC gets manifest.json (this folder's), the Containerfile and rootfs/: node + the shared
 * libraries it and llama.cpp link, the esbuild bundle of server/ (node-llama-cpp's JavaScript
 * included) and node-llama-cpp's linux-x64 CPU binaries. The models it serves are packages of
 * their own (model-package.ts), mounted by the services layer (`packageMounts`).
 *
 * With --model DIR (one .gguf, and optionally its licence and chat template) the model travels
 * inside instead, as before model packages: payload/models/NAME/, every file's SHA-256 in `files`
 * and in LLM_FILES so the service re-checks them at each start, the memory limit computed from the
 * GGUF metadata; such a package serves that model only (no `packageMounts`).
 *
 * With --cuda LIBS the image also gets node-llama-cpp's CUDA build and the CUDA runtime libraries
 * from the folder LIBS (scripts/device/cuda-runtime-debian.sh makes one), or from this machine's
 * own with `--cuda host`, and /app/llm/cuda.json, which lets the server try CUDA when a GPU is
 * passed through (server/device.ts). Without it the image is CPU-only (~30 MB of binaries).
 *
 * Layout in the image, fixed by how node-llama-cpp finds its files relative to its own code:
 * /app/llm/dist/server.mjs (the bundle), /app/llm/llama/ (release metadata and grammars, `../llama`
 * from dist), /app/package.json (its version, `../../package.json`), and
 * /app/llm/node_modules/@node-llama-cpp/linux-x64/ (the prebuilt binaries, imported by name), and
 * the image's CycloneDX SBOM at /app/sbom.cdx.json (kit/image-sbom.ts: node-llama-cpp, its
 * prebuilt package, the llama.cpp release those binaries were built from, each binary's hash).
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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
  recipeMain,
  recipeOptions,
  requireBanner,
  writePackageSource,
} from '../kit/image.ts';
import { type SbomComponent, writeImageSbom } from '../kit/image-sbom.ts';
import { describeCuda, placeCudaBuild } from './cuda.ts';
import { embeddingBytes, estimateNeeds } from './server/estimate.ts';

const here = import.meta.dirname;
const nlc = join(modules, 'node-llama-cpp');

/**
 * The server (or another entry point), node-llama-cpp's JavaScript included; its native binaries
 * stay files. esbuild's metafiles of the bundles made (the template child's too).
 */
export async function bundleServer(
  outFile: string,
  entry = join(here, 'server/main.ts'),
): Promise<Metafile[]> {
  // The server's chat templates are rendered in a process of their own (server/template-bound.ts),
  // from this file beside it: beside every bundle of the engine (the server, and the GPU bench of
  // scripts/device, whose first run on a GPU machine failed at load without it: every rendering's
  // child died, read as a template past its bound).
  const child = join(here, 'server/template-child.ts');
  const children =
    entry === child ? [] : await bundleServer(join(dirname(outFile), 'template-child.mjs'), child);
  const own = await bundleModuleServer(
    here,
    outFile,
    {
      // The prebuilt binaries (imported by package name) and a download helper the service never uses.
      external: ['@node-llama-cpp/*', '@reflink/*'],
      banner: requireBanner,
      logLevel: 'error',
    },
    entry,
  );
  return [...children, own];
}

/** The files node-llama-cpp reads next to its code, in the layout the bundle expects (see top). */
export function placeRuntimeFiles(app: string, arch: Arch = 'x86_64'): void {
  const llama = join(app, 'llm/llama');
  mkdirSync(llama, { recursive: true });
  for (const f of ['binariesGithubRelease.json', 'llama.cpp.info.json', 'package.json'])
    cpSync(join(nlc, 'llama', f), join(llama, f));
  cpSync(join(nlc, 'llama/grammars'), join(llama, 'grammars'), { recursive: true });
  const { version } = JSON.parse(readFileSync(join(nlc, 'package.json'), 'utf8')) as { version: string };
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'node-llama-cpp', version })}\n`);
  // node-llama-cpp imports @node-llama-cpp/linux-<process.arch> by name: the prebuilt package of
  // the image's CPU (both are in node_modules: @node-llama-cpp/linux-x64 and linux-arm64).
  const prebuilt = `@node-llama-cpp/linux-${cpuOf(arch)}`;
  cpSync(join(modules, prebuilt), join(app, 'llm/node_modules', prebuilt), {
    recursive: true,
    dereference: true,
  });
}

/** The image root, but for its SBOM (made once the CUDA variant's files are in too); the bundles' metafiles. */
async function assembleRootfs(rootfs: string, arch: Arch): Promise<Metafile[]> {
  const cpu = cpuOf(arch);
  const bins = join(modules, `@node-llama-cpp/linux-${cpu}/bins/linux-${cpu}`);
  const natives = readdirSync(bins)
    .filter((f) => f.endsWith('.so') || f.endsWith('.node'))
    .map((f) => join(bins, f));
  putNodeRuntime(rootfs, natives, bins, arch);
  const metafiles = await bundleServer(join(rootfs, 'app/llm/dist/server.mjs'));
  placeRuntimeFiles(join(rootfs, 'app'), arch);
  makeMountPoints(rootfs, ['models', 'run/llm', 'var/lib/llm']);
  return metafiles;
}

/**
 * The llama.cpp release each prebuilt binary folder in the image was built from, as node-llama-cpp
 * records it beside them (bins/*\/_nlcBuildMetadata.json: buildOptions.llamaCpp {repo, release}).
 */
export function llamaCppComponents(rootfs: string): SbomComponent[] {
  const found = new Map<string, SbomComponent>();
  const prebuilt = join(rootfs, 'app/llm/node_modules/@node-llama-cpp');
  for (const pkg of readdirSync(prebuilt))
    for (const dir of readdirSync(join(prebuilt, pkg, 'bins'))) {
      const meta = join(prebuilt, pkg, 'bins', dir, '_nlcBuildMetadata.json');
      // The CUDA variant's -ext package has none: its binaries are the same release as -cuda's.
      if (!existsSync(meta)) continue;
      const { buildOptions } = JSON.parse(readFileSync(meta, 'utf8')) as {
        buildOptions: { llamaCpp: { repo: string; release: string } };
      };
      const { repo, release } = buildOptions.llamaCpp;
      found.set(`llama.cpp@${release}`, {
        'bom-ref': `llama.cpp@${release}`,
        type: 'library',
        name: 'llama.cpp',
        version: release,
        description: `The llama.cpp release node-llama-cpp's prebuilt binaries (${pkg}) were built from`,
        purl: `pkg:github/${repo}@${release}`,
        licenses: [{ expression: 'MIT' }],
        externalReferences: [{ type: 'vcs', url: `https://github.com/${repo}` }],
      });
    }
  return [...found.values()];
}

/**
 * The CUDA variant's runtime libraries as the Debian packages they were unpacked from, when
 * /app/llm/cuda.json says so (scripts/device/cuda-runtime-debian.sh's SOURCE line: `Debian trixie
 * non-free: libcudart12 VERSION, ...`); from another folder or this host's they are listed as
 * the files they are (their hashes, with every native binary under /app).
 */
export function cudaRuntimeComponents(rootfs: string): SbomComponent[] {
  const info = join(rootfs, 'app/llm/cuda.json');
  if (!existsSync(info)) return [];
  const { from } = JSON.parse(readFileSync(info, 'utf8')) as { from: string };
  const debian = /^Debian ([a-z]+) [a-z-]+: (.+)$/.exec(from);
  if (!debian) return [];
  return debian[2]!.split(', ').flatMap((entry) => {
    const [name, version] = entry.split(' ');
    if (!name || !version) return [];
    const ref = `deb:${name}@${version}?arch=amd64`;
    return [
      {
        'bom-ref': ref,
        type: 'library',
        name,
        version,
        description: `CUDA runtime library of the CUDA variant, unpacked from Debian ${debian[1]}'s package`,
        purl: `pkg:deb/debian/${name}@${encodeURIComponent(version)}?arch=amd64&distro=${debian[1]}`,
      },
    ];
  });
}

/**
 * Memory limit for the manifest: what the model needs at this context and what its embedding
 * context needs beside it (made at the first embedding request; the model pool admits it against
 * this limit, so a limit for the model alone made that request a 503), rounded up to 64 MiB.
 */
export async function memoryFor(gguf: string, context: number, parallel: number): Promise<string> {
  // The service's own estimates at start and in its model pool (server/estimate.ts).
  const needs = await estimateNeeds(gguf, { context, parallel });
  const embedding = await embeddingBytes(gguf, { context, parallel });
  // Headroom for the allocator and glibc's arenas on top of the estimate.
  const mib = Math.ceil(((needs.total + embedding) * 1.25) / (64 * 2 ** 20)) * 64;
  return `${Math.max(mib, 256)}m`;
}

/**
 * What the memory limit grows by per token of context per sequence (manifest
 * `resources.memoryPerSetting` over LLM_CONTEXT × LLM_PARALLEL): the KV cache and the embedding
 * context of one sequence more, with memoryFor's headroom, so that an admin raising either setting
 * gets a limit (and a memory admission) that holds the model loaded with them.
 */
export async function memoryPerToken(gguf: string, context: number, parallel: number): Promise<number> {
  const at = async (p: number) =>
    (await estimateNeeds(gguf, { context, parallel: p })).total +
    (await embeddingBytes(gguf, { context, parallel: p }));
  return Math.ceil((((await at(2 * parallel)) - (await at(parallel))) * 1.25) / (context * parallel));
}

export interface SourceOptions {
  /** A folder with one .gguf file (plus, optionally, LICENSE and a chat template) to build in. */
  model?: string;
  out: string;
  version?: string;
  name?: string;
  /** LLM_CONTEXT (default 4096, at most the model's trained context). */
  context?: number;
  /** The container's memory limit without a built-in model (`2g`); with one it is computed. */
  memory?: string;
  /** The CUDA variant: the runtime libraries' folder, or `host` for this machine's own (cuda.ts). */
  cuda?: string;
  /** The architectures to make an image root for (default: this machine's). */
  arches?: Arch[];
}

interface LlmManifest extends Record<string, unknown> {
  files?: Record<string, string>;
  description: string;
  service: {
    env: Record<string, string>;
    resources: { memory: string; memoryPerSetting?: { of: string[]; bytes: number } };
    mounts?: { source: string; target: string }[];
    packageMounts?: unknown[];
    justification: Record<string, string>;
  };
}

/** The model travels in the package: mounted from its own payload, its hashes in LLM_FILES. */
async function buildInModel(manifest: LlmManifest, model: string, out: string, context: number) {
  const ggufs = readdirSync(model).filter((f) => f.endsWith('.gguf'));
  if (ggufs.length !== 1)
    throw new Error(`${model} must hold exactly one .gguf file (it has ${ggufs.length})`);
  const { name, files } = placeModel(model, out);
  const s = manifest.service;
  const parallel = Number(s.env.LLM_PARALLEL);
  s.env = { ...s.env, LLM_MODEL_DIR: '/models', LLM_MODEL: name, LLM_FILES: JSON.stringify(files) };
  s.mounts = [{ source: 'models', target: '/models' }];
  delete s.packageMounts;
  s.justification = {
    ...s.justification,
    mounts:
      "The model folder from the signed package, mounted read-only; every file's SHA-256 is checked at start.",
  };
  delete s.justification.packageMounts;
  s.resources.memory = await memoryFor(join(model, ggufs[0]!), context, parallel);
  s.resources.memoryPerSetting = {
    of: ['LLM_CONTEXT', 'LLM_PARALLEL'],
    bytes: await memoryPerToken(join(model, ggufs[0]!), context, parallel),
  };
  // At or under the sandbox's default (256 MiB) the limit loosens nothing and needs no reason.
  if (Number.parseInt(s.resources.memory, 10) <= 256) delete s.justification['resources.memory'];
  manifest.files = files;
  manifest.description = `${manifest.description} Built-in model: ${name}.`;
}

export async function makePackageSource(
  opts: SourceOptions,
): Promise<{ dir: string; manifest: Record<string, unknown> }> {
  const fresh = freshSource(here, opts.out, opts);
  const { out } = fresh;
  const manifest = fresh.manifest as LlmManifest;
  const service = manifest.service;
  const context = opts.context ?? Number(service.env.LLM_CONTEXT);
  service.env.LLM_CONTEXT = String(context);
  if (opts.model) await buildInModel(manifest, resolve(opts.model), out, context);
  else if (opts.memory) service.resources.memory = opts.memory;
  const cudaLibs = opts.cuda === 'host' ? undefined : opts.cuda && resolve(opts.cuda);
  const assemble = async (...args: Parameters<typeof assembleRootfs>) => {
    const metafiles = await assembleRootfs(...args);
    if (opts.cuda) {
      const arch = (args as unknown[])[1];
      if (arch && arch !== 'x86_64')
        throw new Error(`--cuda: node-llama-cpp's CUDA build is for x86_64 only, not ${arch}`);
      const cuda = placeCudaBuild(args[0], cudaLibs);
      manifest.description = `${manifest.description} ${describeCuda(cuda)}.`;
      writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    }
    writeImageSbom(args[0], manifest, metafiles, {
      extra: [...llamaCppComponents(args[0]), ...cudaRuntimeComponents(args[0])],
    });
  };
  return writePackageSource(here, out, manifest, assemble, ['Containerfile', 'README.md'], opts.arches);
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  await recipeMain({
    usage: [
      'usage: node modules/llm/package.ts --out SOURCE_DIR [--version X.Y.Z] [--name NAME] [--context N] [--memory 2g] [--model MODEL_DIR] [--cuda LIBS_DIR|host]',
      '--cuda: the CUDA variant, with the CUDA runtime from LIBS_DIR (sh scripts/device/cuda-runtime-debian.sh LIBS_DIR) or this machine (host)',
      'models are packages of their own: node modules/llm/model-package.ts --help',
    ],
    readme: 'modules/llm/README.md',
    options: {
      model: { type: 'string' },
      ...recipeOptions,
      context: { type: 'string' },
      memory: { type: 'string' },
      cuda: { type: 'string' },
    },
    required: ['out'],
    make: (v) =>
      makePackageSource({
        model: v.model,
        out: v.out!,
        version: v.version,
        name: v.name,
        context: v.context ? Number(v.context) : undefined,
        memory: v.memory,
        cuda: v.cuda,
        arches: parseArches(v.arch),
      }),
    describe: (m) =>
      `${m.files ? `${Object.keys(m.files).length} built-in model files` : 'serves the model-NAME packages installed'}, memory ${(m.service as { resources: { memory: string } }).resources.memory}`,
  });
}
