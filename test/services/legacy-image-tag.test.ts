/**
 * The tag a module's image had before the tags were a box's (ff845f5: legacyModuleImageTag, the
 * name and version alone) is every box's on the engine. A removal that took it took the image that
 * another box, installed before the change and holding only that tag, had not started: that box's
 * service could no longer start (c82b033 kept it where the removing box had its own tag; a copy of
 * a box installed before had none, and still took it). No removal takes the legacy tag now: a box's
 * first start gives the image its own tag (a box installed before has one from then on), and the
 * removal that leaves an image held by the legacy tag alone says so, with the command that removes
 * it once no other box uses it. Real Podman, the executable (`npm run build` first).
 */
import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { legacyModuleImageTag } from '../../src/core/services/image-tags.js';
import { bpkg, run, tempDir } from '../helpers/pkg.js';
import { type EngineLeft, installedHello, ownImageTag, podman, removeLeft } from './helpers.js';

const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
const left: EngineLeft = { containers: [], images: [] };

afterAll(() => removeLeft(left));

async function installed(base: string) {
  const { name, root: original, imageId } = await installedHello(base, env, left);
  const legacy = legacyModuleImageTag(name, '1.0.0');
  return { name, original, imageId, legacy: `${legacy.repo}:${legacy.tag}` };
}

/** The removal's output says the image stays under the legacy tag; its command removes it. */
async function legacyLeftThenRemoved(out: string, imageId: string, legacy: string) {
  await podman('image', 'exists', imageId);
  const said = out.match(/if no other box uses it: (podman rmi [^\n]+)/);
  expect(said?.[1], out).toBe(`podman rmi ${legacy}`);
  execFileSync('sh', ['-c', said![1]!]);
  await expect(podman('image', 'exists', imageId)).rejects.toThrow();
}

const tagsOf = async (id: string): Promise<string[]> =>
  JSON.parse(await podman('image', 'inspect', '--format', '{{json .RepoTags}}', id));

describe("a box's removal and the legacy tag", () => {
  it("leaves the legacy tag that another box's older install holds, and so its image", async () => {
    const { name, original, imageId, legacy } = await installed('bpt-legacytag');
    // Another box with the same package, installed before the tags were a box's: the image carries
    // the legacy tag for it (as such an install made it), not that box's own.
    const older = path.join(tempDir('bp-svc-legacytag-'), 'root');
    execFileSync('cp', ['-a', original, older]);
    await podman('tag', imageId, legacy);

    const rmNew = await bpkg(original, ['--yes', 'remove', name], env);
    expect(rmNew.code, rmNew.stderr).toBe(0);
    await podman('image', 'exists', imageId); // throws if the removal took the other box's image

    // The older box cannot tell whether a box it was copied from holds the legacy tag: it leaves it.
    const rmOlder = await bpkg(older, ['--yes', 'remove', name], env);
    expect(rmOlder.code, rmOlder.stderr).toBe(0);
    await legacyLeftThenRemoved(rmOlder.stdout + rmOlder.stderr, imageId, legacy);
  }, 120_000);

  it("a copy of a box installed before leaves the original's image, which its first start tags its own", async () => {
    const { name, original, imageId, legacy } = await installed('bpt-legacycopy');
    // The box as an install before ff845f5 left it: its image has the legacy tag, not its own.
    await podman('tag', imageId, legacy);
    await podman('untag', imageId, ownImageTag(name, '1.0.0', original));
    await rm(path.join(original, 'var/lib/blueprint/services/.image-tags'), { recursive: true, force: true });
    const copy = path.join(tempDir('bp-svc-legacycopy-'), 'root');
    execFileSync('cp', ['-a', original, copy]);

    const rmCopy = await bpkg(copy, ['--yes', 'remove', name], env);
    expect(rmCopy.code, rmCopy.stderr).toBe(0);
    await podman('image', 'exists', imageId); // throws if the copy's removal took the original's image

    const start = await run(['--root', original, '--json', 'service', 'start', name], { env });
    expect(start.code, start.stderr).toBe(0);
    expect(JSON.parse(start.stdout)).toMatchObject({ name, healthy: true });
    expect(await tagsOf(imageId)).toEqual(
      expect.arrayContaining([legacy, ownImageTag(name, '1.0.0', original)]),
    );

    const rmOriginal = await bpkg(original, ['--yes', 'remove', name], env);
    expect(rmOriginal.code, rmOriginal.stderr).toBe(0);
    expect(await tagsOf(imageId)).toEqual([legacy]); // its own tag went, the shared one stays
    await legacyLeftThenRemoved(rmOriginal.stdout + rmOriginal.stderr, imageId, legacy);
  }, 120_000);
});
