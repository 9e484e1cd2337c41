/**
 * A box root copied from another (`cp -a`) carries its package database and registrations, and
 * shares the one engine, where the module's image is tagged by name and version alone. Removing
 * the package in the copy untagged that tag and removed the image, which the original installed
 * and had not started (no container held it): the original's service could no longer start
 * ('image missing'). Real Podman, the executable (`npm run build` first).
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bpkg, run, tempDir } from '../helpers/pkg.js';
import { helloPackageRoot, podman, uniqueName } from './helpers.js';

const name = uniqueName('bpt-copyimg');
const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
let original: string | undefined;

afterAll(async () => {
  if (original) await bpkg(original, ['remove', '--yes', name], env);
});

describe('a copied root removes a package', () => {
  it("leaves the image the original installed and never started; the original's removal takes it", async () => {
    original = (await helloPackageRoot(name, env)).root;
    expect((await bpkg(original, ['--yes', 'install', name], env)).code).toBe(0);
    const reg = path.join(original, 'var/lib/blueprint/services', name, '1.0.0.json');
    const imageId: string = JSON.parse(await readFile(reg, 'utf8')).spec.image.id;

    const copy = path.join(tempDir('bp-svc-copyimg-'), 'root');
    execFileSync('cp', ['-a', original, copy]);
    const rm = await bpkg(copy, ['--yes', 'remove', name], env);
    expect(rm.code, rm.stderr).toBe(0);
    await podman('image', 'exists', imageId); // throws if the copy's removal took it

    const start = await run(['--root', original, '--json', 'service', 'start', name], { env });
    expect(start.code, start.stderr).toBe(0);
    expect(JSON.parse(start.stdout)).toMatchObject({ name, healthy: true });

    // The last box that has it removes it: nothing is left in the engine.
    expect((await bpkg(original, ['--yes', 'remove', name], env)).code).toBe(0);
    original = undefined;
    await expect(podman('image', 'exists', imageId)).rejects.toThrow();
  }, 120_000);
});
