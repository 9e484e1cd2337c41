import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { openBox } from '../../src/app/index.js';
import { openManager } from './box.js';
import { buildRepo, makeKey, makeSource } from './pkg.js';

export const HOSTS = ['api.example.org:443', '192.0.2.1:8080'];

/**
 * A signed repository offering `name`, a module asking for outbound network to HOSTS, trusted and
 * fetched by `root`. With `image` (an archive from buildHello) it is the real hello image; without,
 * a stand-in whose load would fail (enough for what is decided before the image is loaded).
 */
export async function outboundRepo(
  root: string,
  work: string,
  name: string,
  image?: {
    archive: string;
    id: string;
    manifest: Record<string, unknown> & { service: Record<string, unknown> };
  },
): Promise<void> {
  const service = image?.manifest.service ?? { image: { id: `sha256:${'b'.repeat(64)}` } };
  const key = await makeKey(path.join(work, 'key'), { name: 'Outbound Repo' });
  const repoDir = path.join(work, 'repo');
  await buildRepo(repoDir, key, [
    makeSource(path.join(work, 'src'), {
      name,
      version: '1.0.0',
      summary: 'talks to its API',
      files: { 'image.tar': image ? await readFile(image.archive) : 'not an image' },
      manifestExtra: {
        service: {
          ...service,
          image: { archive: 'image.tar', id: image?.id ?? `sha256:${'b'.repeat(64)}` },
          network: 'outbound',
          outbound: HOSTS,
          justification: { ...((service.justification as object) ?? {}), network: 'talks to its API' },
        },
      },
    }),
  ]);
  const pm = await openManager(root);
  await pm.keyring.add(key.publicKey, key.fingerprint);
  await pm.repos.add('main', pathToFileURL(repoDir).href);
  await pm.update();
}

/** Removes what an install left in the engine (container, image), best effort. */
export async function removeModule(root: string, name: string): Promise<void> {
  await openBox(root, { yes: true })
    .packages.remove([name])
    .catch(() => {});
}
