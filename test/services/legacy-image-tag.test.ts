/**
 * The tag a module's image had before the tags were a box's (ff845f5: legacyModuleImageTag, the
 * name and version alone) is every box's on the engine. A box whose install made its own tag took
 * the legacy tag off too at its removal, and with it the image that another box, installed before
 * the change and holding only that tag, had not started: that box's service could no longer start.
 * A removal takes the legacy tag only where the image did not have this box's own (an install made
 * before the change). Real Podman, the executable (`npm run build` first).
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { legacyModuleImageTag } from '../../src/core/services/images.js';
import { bpkg, tempDir } from '../helpers/pkg.js';
import { helloPackageRoot, podman, uniqueName } from './helpers.js';

const name = uniqueName('bpt-legacytag');
const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
let imageId: string | undefined;

afterAll(async () => {
  if (imageId) await podman('rmi', '-f', imageId).catch(() => {});
});

describe("a box's removal and the legacy tag", () => {
  it("leaves the legacy tag that another box's older install holds, and so its image", async () => {
    const original = (await helloPackageRoot(name, env)).root;
    expect((await bpkg(original, ['--yes', 'install', name], env)).code).toBe(0);
    const reg = path.join(original, 'var/lib/blueprint/services', name, '1.0.0.json');
    imageId = JSON.parse(await readFile(reg, 'utf8')).spec.image.id as string;

    // Another box with the same package, installed before the tags were a box's: the image carries
    // the legacy tag for it (as such an install made it), not that box's own.
    const older = path.join(tempDir('bp-svc-legacytag-'), 'root');
    execFileSync('cp', ['-a', original, older]);
    const legacy = legacyModuleImageTag(name, '1.0.0');
    await podman('tag', imageId, `${legacy.repo}:${legacy.tag}`);

    const rm = await bpkg(original, ['--yes', 'remove', name], env);
    expect(rm.code, rm.stderr).toBe(0);
    await podman('image', 'exists', imageId); // throws if the removal took the other box's image

    // The older box's removal takes the legacy tag, as before, and nothing is left.
    const rmOlder = await bpkg(older, ['--yes', 'remove', name], env);
    expect(rmOlder.code, rmOlder.stderr).toBe(0);
    await expect(podman('image', 'exists', imageId)).rejects.toThrow();
    imageId = undefined;
  }, 120_000);
});
