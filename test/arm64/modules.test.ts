// The catalog modules for arm64, built on this x86-64 machine (issue 22, docs/arm64.md): each
// recipe's aarch64 image root, `repo build --arch aarch64` of it, every ELF file of the image for
// aarch64 (read by our own scan and by `file`, a tool we did not write), the prebuilt native parts
// where the README says; then the vectors image run by Podman, its arm64 Node and hnswlib addon
// under qemu-user (binfmt), answering /health on its socket.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { extract } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePackageSource as embeddingsSource } from '../../modules/embeddings/package.js';
import { makePackageSource as llmSource } from '../../modules/llm/package.js';
import { makePackageSource as ragSource } from '../../modules/rag/package.js';
import { makePackageSource as vectorsSource } from '../../modules/vectors/package.js';
import { buildRepository } from '../../src/core/pkg/build.js';
import { createBuildHooks } from '../../src/core/services/hooks.js';
import { elfFilesInImage } from '../../src/core/services/image-arch.js';
import { makeKey, repoRoot, type TestKey, tempDir } from '../helpers/pkg.js';
import { podman } from '../services/helpers.js';
import { arm64ModulesSkip } from './qemu.js';

const models = path.join(repoRoot, 'test/fixtures/models');
const arches = ['aarch64' as const];

/** Each catalog module's source for aarch64; the native files its image must carry. */
const modules: { name: string; source(out: string): Promise<string>; natives: RegExp[] }[] = [
  { name: 'hello', source: async () => path.join(repoRoot, 'modules/hello'), natives: [/^\/hello$/] },
  {
    name: 'vectors',
    source: async (out) => (await vectorsSource({ out, arches })).dir,
    natives: [/^\/usr\/bin\/node$/, /^\/app\/node_modules\/hnswlib-node\/build\/Release\/addon\.node$/],
  },
  {
    name: 'embeddings',
    source: async (out) =>
      (await embeddingsSource({ model: path.join(models, 'tiny-bert'), out, arches })).dir,
    natives: [
      /onnxruntime-node\/bin\/napi-v6\/linux\/arm64\/onnxruntime_binding\.node$/,
      /libonnxruntime\.so/,
    ],
  },
  {
    name: 'llm',
    source: async (out) => (await llmSource({ out, arches })).dir,
    natives: [
      /@node-llama-cpp\/linux-arm64\/bins\/linux-arm64\/llama-addon\.node$/,
      /libllama\.v[0-9.]*\.so$/,
    ],
  },
  {
    name: 'rag',
    source: async (out) => (await ragSource({ out, arches })).dir,
    natives: [/^\/usr\/bin\/node$/],
  },
];

describe.skipIf(arm64ModulesSkip)('catalog modules built for arm64 on this machine', () => {
  let key: TestKey;
  const repo = path.join(tempDir(), 'repo');
  const images = new Map<string, { archive: string; id: string }>();

  beforeAll(async () => {
    key = await makeKey(path.join(tempDir(), 'key'));
  });

  for (const m of modules)
    it(`${m.name}: repo build --arch aarch64 gives a package whose image holds only aarch64 programs`, {
      timeout: 600_000,
    }, async () => {
      const src = await m.source(path.join(tempDir(), `src-${m.name}`));
      await buildRepository({
        sources: [src],
        repoDir: repo,
        name: 'arm64',
        signer: { keyFile: key.privateFile },
        // Lint is not what is tested here (rag's `uses` name modules this test repository lacks).
        hooks: createBuildHooks({ lint: false }),
        arches,
      });
      const version = JSON.parse(readFileSync(path.join(src, 'manifest.json'), 'utf8')).version;
      const built = await unpackImage(path.join(repo, `pool/${m.name}/${m.name}_${version}_aarch64.bpkg`));
      images.set(m.name, built);
      const image = built.archive;
      const elf = await elfFilesInImage(image);
      expect([...elf.values()].filter((a) => a !== 'aarch64')).toEqual([]);
      for (const native of m.natives) expect([...elf.keys()].filter((f) => native.test(f))).not.toEqual([]);
      // The same answer from `file` for every native file of the image (.node addons, programs).
      const root = unpackLayers(image);
      for (const f of [...elf.keys()].filter((f) => f.endsWith('.node') || m.natives.some((n) => n.test(f))))
        expect(execFileSync('file', ['-bL', path.join(root, f)], { encoding: 'utf8' })).toMatch(
          /^ELF 64-bit LSB .*ARM aarch64/,
        );
    });

  describe('the vectors image under qemu-user', () => {
    const name = `bp-arm64-vectors-${process.pid}`;
    let imageId = '';
    afterAll(async () => {
      // podman() retries the removal's "device or resource busy" (Podman 4.3, just after the
      // container stopped; ../shared/ENVIRONMENT.md): a bare execFileSync failed the file on it.
      await podman('rm', '-f', '-t', '0', name);
      if (imageId) await podman('rmi', '-f', imageId);
    });

    it('starts its arm64 Node with the arm64 hnswlib addon and answers /health', {
      timeout: 300_000,
    }, async () => {
      const image = images.get('vectors');
      expect(image, 'the vectors package was built above').toBeDefined();
      execFileSync('podman', ['load', '-q', '-i', image!.archive]);
      imageId = image!.id; // the ID the signed manifest names
      expect(
        execFileSync('podman', ['image', 'inspect', '--format', '{{.Architecture}}', imageId], {
          encoding: 'utf8',
        }).trim(),
      ).toBe('arm64');
      const dir = tempDir();
      const run = path.join(dir, 'run');
      const data = path.join(dir, 'data');
      for (const d of [run, data]) mkdirSync(d);
      execFileSync('podman', [
        'run',
        '-d',
        '--name',
        name,
        '--network',
        'none',
        '--read-only',
        '--user',
        '1000:1000',
        '--tmpfs',
        '/tmp',
        '-v',
        `${run}:/run/vectors:U`,
        '-v',
        `${data}:/var/lib/vectors:U`,
        '-e',
        'VECTORS_DATA_DIR=/var/lib/vectors/db',
        imageId,
      ]);
      const socket = path.join(run, 'api.sock');
      let health: { status: number; body: string } | undefined;
      for (let i = 0; i < 120 && health?.status !== 200; i++) {
        health = await get(socket, '/health').catch(() => undefined);
        if (health?.status !== 200) await new Promise((r) => setTimeout(r, 1000));
      }
      const logs = execFileSync('podman', ['logs', name], { encoding: 'utf8', stdio: 'pipe' });
      expect(health?.status, logs).toBe(200);
      // Its hnswlib index works: a collection made, points in, the nearest one found.
      const put = await send(socket, 'PUT', '/collections/c', { vectors: { size: 3, distance: 'Euclid' } });
      expect(put.status, put.body).toBe(200);
      const points = [
        { id: 1, vector: [1, 2, 3] },
        { id: 2, vector: [0, 0, 1] },
      ];
      expect((await send(socket, 'PUT', '/collections/c/points?wait=true', { points })).status).toBe(200);
      const found = await send(socket, 'POST', '/collections/c/points/search', {
        vector: [1, 2, 2.9],
        limit: 1,
      });
      expect(JSON.parse(found.body).result[0].id).toBe(1);
      expect(
        execFileSync('podman', ['exec', name, '/usr/bin/node', '-p', 'process.arch'], {
          encoding: 'utf8',
        }).trim(),
      ).toBe('arm64');
    });
  });
});

/** The image archive of a module package, unpacked, and the image ID its manifest signs. */
async function unpackImage(bpkg: string): Promise<{ archive: string; id: string }> {
  const out = tempDir();
  await extract({ file: bpkg, cwd: out });
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  return { archive: path.join(out, 'payload/image.tar'), id: manifest.service.image.id };
}

/** The image's files, every layer of a docker-archive unpacked into one folder (for `file`). */
function unpackLayers(archive: string): string {
  const dir = tempDir();
  const root = path.join(dir, 'root');
  mkdirSync(root);
  execFileSync('tar', ['-xf', archive, '-C', dir, 'manifest.json']);
  const [entry] = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
    Layers: string[];
  }[];
  for (const layer of entry?.Layers ?? []) {
    execFileSync('tar', ['-xf', archive, '-C', dir, layer]);
    execFileSync('tar', ['-xf', path.join(dir, layer), '-C', root]);
  }
  return root;
}

const get = (socket: string, p: string) => send(socket, 'GET', p);

function send(
  socket: string,
  method: string,
  p: string,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath: socket, method, path: p, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
