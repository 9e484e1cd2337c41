import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildRepo, makeKey, makeSource, type TestKey } from '../helpers/pkg.js';
import { consolePasswordHash } from './helpers.js';

export const CATALOG = 'usr/share/blueprint/catalog';

/**
 * An offline catalog as the image carries it (issue 18): a signed folder repository under
 * ROOT/usr/share/blueprint/catalog with its public key in keys/ (the `bpkg bundle` layout).
 * `alpha` is a plain package; `beta` a service asking for 1 GiB and an optional GPU, with an
 * image archive of `imageBytes` (never loaded: these tests do not start it).
 */
export async function makeCatalog(
  root: string,
  work: string,
  opts: { imageBytes?: number; outbound?: string[] } = {},
): Promise<{ key: TestKey; dir: string }> {
  const key = await makeKey(path.join(work, 'catalog-key'), { name: 'BlueprintOS catalog' });
  const dir = path.join(root, CATALOG);
  await mkdir(path.dirname(dir), { recursive: true });
  await buildRepo(dir, key, [
    makeSource(path.join(work, 'src'), {
      name: 'alpha',
      version: '1.0.0',
      summary: 'Alpha, a plain package',
      files: { 'share/alpha.txt': 'a'.repeat(5000) },
    }),
    makeSource(path.join(work, 'src'), {
      name: 'beta',
      version: '2.1.0',
      summary: 'Beta, a service',
      files: { 'image.tar': Buffer.alloc(opts.imageBytes ?? 300_000, 7) },
      manifestExtra: {
        service: {
          image: { id: `sha256:${'a'.repeat(64)}` },
          resources: { memory: '1g' },
          gpu: 'optional',
        },
      },
    }),
    // `gamma` asks for outbound network: setup does not approve that (issue 19).
    ...(opts.outbound
      ? [
          makeSource(path.join(work, 'src'), {
            name: 'gamma',
            version: '0.3.0',
            summary: 'Gamma, talks to its API',
            manifestExtra: {
              service: {
                image: { id: `sha256:${'c'.repeat(64)}` },
                network: 'outbound',
                outbound: opts.outbound,
                justification: { network: 'talks to its API' },
              },
            },
          }),
        ]
      : []),
  ]);
  await mkdir(path.join(dir, 'keys'));
  await copyFile(key.publicFile, path.join(dir, 'keys', `${key.fingerprint}.pub.asc`));
  return { key, dir };
}

export async function writeAnswers(file: string, modules: string, ssh: string): Promise<string> {
  await writeFile(
    file,
    [
      'hostname: box-18',
      `admin: { name: admin, keys: ["${ssh}"], passwordHash: "${consolePasswordHash()}" }`,
      `modules: ${modules}`,
    ].join('\n'),
  );
  return file;
}

/**
 * A catalog shaped like the image's (scripts/image-catalog.mjs), small: `emb` (1 GiB, optional
 * GPU), `vec` (2 GiB), `llmx` (2 GiB, serves model-* packages), `ragx` (1 GiB, uses the three),
 * `model-x` (a model package) and `plain` (no service); `extra` more plain packages.
 */
export async function makeStackCatalog(
  root: string,
  work: string,
  opts: { extra?: number } = {},
): Promise<{ key: TestKey; dir: string }> {
  const key = await makeKey(path.join(work, 'catalog-key'), { name: 'BlueprintOS catalog' });
  const dir = path.join(root, CATALOG);
  await mkdir(path.dirname(dir), { recursive: true });
  const src = path.join(work, 'src');
  const service = (memory: string, extra: Record<string, unknown> = {}) => ({
    service: { image: { id: `sha256:${'b'.repeat(64)}` }, resources: { memory }, ...extra },
  });
  await buildRepo(dir, key, [
    makeSource(src, { name: 'emb', version: '0.1.0', manifestExtra: service('1g', { gpu: 'optional' }) }),
    makeSource(src, { name: 'vec', version: '0.1.0', manifestExtra: service('2g') }),
    makeSource(src, {
      name: 'llmx',
      version: '0.1.0',
      manifestExtra: service('2g', {
        packageMounts: [{ packages: 'model-*', source: 'models', target: '/models' }],
      }),
    }),
    makeSource(src, {
      name: 'ragx',
      version: '0.1.0',
      manifestExtra: { uses: ['emb>=0.1.0', 'vec>=0.1.0', 'llmx>=0.1.0'], ...service('1g') },
    }),
    makeSource(src, { name: 'model-x', version: '1.0.0', files: { 'models/x/x.gguf': 'weights' } }),
    makeSource(src, { name: 'plain', version: '1.0.0' }),
    // More plain packages, named extra-a, extra-b...: a catalog taller than a console.
    ...Array.from({ length: opts.extra ?? 0 }, (_, i) =>
      makeSource(src, {
        name: `extra-${String.fromCharCode(97 + i)}`,
        version: '1.0.0',
        summary: `Extra package ${i + 1}`,
      }),
    ),
  ]);
  await mkdir(path.join(dir, 'keys'));
  await copyFile(key.publicFile, path.join(dir, 'keys', 'catalog.pub.asc'));
  return { key, dir };
}
