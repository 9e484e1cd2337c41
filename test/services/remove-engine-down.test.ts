/**
 * `bpkg remove NAME` with the container engine down removed the package and said "removed NAME
 * 1.0.0", nothing more, leaving the module's image in the engine for good with no word of it. The
 * package is still removed (the engine is not needed for that), but the output now says the image
 * could not be removed and the podman command that removes it once the engine runs; --json carries
 * it (changes[].imageLeft). Real Podman, the executable (`npm run build` first).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bpkg, tempDir } from '../helpers/pkg.js';
import { helloPackageRoot, podman, uniqueName } from './helpers.js';

const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
const images: string[] = [];

afterAll(async () => {
  for (const id of images) await podman('rmi', '--force', id).catch(() => {});
});

async function installedThenEngineDown(): Promise<{
  root: string;
  name: string;
  imageId: string;
  reg: string;
}> {
  const name = uniqueName('bpt-rmdown');
  const { root } = await helloPackageRoot(name, env);
  const install = await bpkg(root, ['--yes', 'install', name], env);
  expect(install.code, install.stderr).toBe(0);
  const reg = path.join(root, 'var/lib/blueprint/services', name, '1.0.0.json');
  const imageId: string = JSON.parse(readFileSync(reg, 'utf8')).spec.image.id;
  images.push(imageId);
  const dead = path.join(tempDir('bp-deadsock-'), 'nothing.sock');
  mkdirSync(path.join(root, 'etc/blueprint'), { recursive: true });
  writeFileSync(path.join(root, 'etc/blueprint/config.json'), JSON.stringify({ engine: { socket: dead } }));
  return { root, name, imageId, reg };
}

describe('bpkg remove with the engine down', () => {
  it('removes the package and says the image stayed, and how to remove it', async () => {
    const { root, name, imageId, reg } = await installedThenEngineDown();
    const rm = await bpkg(root, ['--yes', 'remove', name], env);
    expect(existsSync(reg)).toBe(false); // its service registration went with it
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stdout).toContain(`removed ${name} 1.0.0`);
    const all = rm.stdout + rm.stderr;
    expect(all).toContain(`${name}: its image ${imageId.slice(7, 19)} could not be removed`);
    expect(all).toContain(`podman rmi ${imageId.slice(7)}`);
    expect(JSON.parse((await bpkg(root, ['--json', 'list'], env)).stdout)).toEqual([]);
    await podman('image', 'exists', imageId); // still there: the engine's socket was elsewhere
  }, 120_000);

  it('--json: the image left is in the document', async () => {
    const { root, name, imageId } = await installedThenEngineDown();
    const rm = await bpkg(root, ['--json', '--yes', 'remove', name], env);
    expect(rm.code, rm.stderr).toBe(0);
    const doc = JSON.parse(rm.stdout);
    expect(doc.changes).toEqual([
      { name, from: '1.0.0', imageLeft: { image: imageId, remove: `podman rmi ${imageId.slice(7)}` } },
    ]);
    // The registration went with the package: the module is not listed as a service any more.
    expect(JSON.parse((await bpkg(root, ['--json', 'list'], env)).stdout)).toEqual([]);
  }, 120_000);
});
