/**
 * `bpkg remove NAME` with the container engine down removed the package and said "removed NAME
 * 1.0.0", nothing more, leaving the module's image in the engine for good with no word of it. The
 * package is still removed (the engine is not needed for that), but the output now says the image
 * could not be removed and the podman commands that remove it once the engine runs; --json carries
 * them (changes[].imageLeft). They removed the image by ID, which the module's stopped container
 * (left by a removal that could not reach the engine) held: 'image is in use by a container'. They
 * remove this box's container of that image first, then this box's tag, and with it the image when
 * no other tag holds it. Real Podman, the executable (`npm run build` first).
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { legacyModuleImageTag, pathImageTag } from '../../src/core/services/image-tags.js';
import { BOX_LABEL } from '../../src/core/services/policy.js';
import { boxIdentity } from '../../src/core/services/sandbox-plan.js';
import { shellWord } from '../../src/core/system/shell-word.js';
import { bpkg, run, tempDir } from '../helpers/pkg.js';
import { type EngineLeft, installedHello, ownImageTag, podman, removeLeft, runPasted } from './helpers.js';

const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
const left: EngineLeft = { containers: [], images: [] };

afterAll(() => removeLeft(left));

const installed = () => installedHello('bpt-rmdown', env, left);

const configFile = (root: string) => path.join(root, 'etc/blueprint/config.json');

function engineDown(root: string): void {
  const dead = path.join(tempDir('bp-deadsock-'), 'nothing.sock');
  mkdirSync(path.dirname(configFile(root)), { recursive: true });
  writeFileSync(configFile(root), JSON.stringify({ engine: { socket: dead } }));
}

async function installedThenEngineDown() {
  const made = await installed();
  engineDown(made.root);
  return made;
}

/** The commands said: this box's container of the image, if any, then this box's tag (or `untag`). */
const removeCommand = (
  root: string,
  name: string,
  imageId: string,
  untag = `podman rmi ${ownImageTag(name, '1.0.0', root)}`,
) =>
  `podman rm -f --filter 'name=^blueprint-${name}$' --filter ${shellWord(`label=${BOX_LABEL}=${boxIdentity(root)}`)} --filter ancestor=${imageId.slice(7)} && ${untag}`;

const tagText = (t: { repo: string; tag: string }) => `${t.repo}:${t.tag}`;

describe('bpkg remove with the engine down', () => {
  it('removes the package and says the image stayed, and how to remove it', async () => {
    const { root, name, imageId, reg } = await installedThenEngineDown();
    const rm = await bpkg(root, ['--yes', 'remove', name], env);
    expect(existsSync(reg)).toBe(false); // its service registration went with it
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stdout).toContain(`removed ${name} 1.0.0`);
    const all = rm.stdout + rm.stderr;
    expect(all).toContain(`${name}: its image ${imageId.slice(7, 19)} could not be removed`);
    expect(all).toContain(`once it runs: podman rm -f --filter 'name=^blueprint-${name}$'`);
    expect(all).toContain(`&& podman rmi ${ownImageTag(name, '1.0.0', root)}`);
    expect(JSON.parse((await bpkg(root, ['--json', 'list'], env)).stdout)).toEqual([]);
    await podman('image', 'exists', imageId); // still there: the engine's socket was elsewhere
  }, 120_000);

  it('--json: the image left is in the document', async () => {
    const { root, name, imageId } = await installedThenEngineDown();
    const rm = await bpkg(root, ['--json', '--yes', 'remove', name], env);
    expect(rm.code, rm.stderr).toBe(0);
    const doc = JSON.parse(rm.stdout);
    expect(doc.changes).toEqual([
      { name, from: '1.0.0', imageLeft: { image: imageId, remove: removeCommand(root, name, imageId) } },
    ]);
    // The registration went with the package: the module is not listed as a service any more.
    expect(JSON.parse((await bpkg(root, ['--json', 'list'], env)).stdout)).toEqual([]);
  }, 120_000);

  it('its stopped container does not hold the commands said: they remove it, then the image', async () => {
    const { root, name, imageId } = await installed();
    const start = await run(['--root', root, 'service', 'start', name], { env });
    expect(start.code, start.stderr).toBe(0);
    expect((await run(['--root', root, 'service', 'stop', name], { env })).code).toBe(0);
    engineDown(root);
    const rm = await bpkg(root, ['--json', '--yes', 'remove', name], env);
    expect(rm.code, rm.stderr).toBe(0);
    const left = JSON.parse(rm.stdout).changes[0].imageLeft;
    expect(left).toEqual({ image: imageId, remove: removeCommand(root, name, imageId) });
    await podman('container', 'exists', `blueprint-${name}`); // left: the engine was out of reach

    rmSync(configFile(root)); // the engine is back
    await runPasted(left.remove); // throws on a failing command
    await expect(podman('container', 'exists', `blueprint-${name}`)).rejects.toThrow();
    await expect(podman('image', 'exists', imageId)).rejects.toThrow();
  }, 120_000);

  // An install before ff845f5 left the legacy tag, one between ff845f5 and f91a406 the path's tag;
  // neither left a note, and with the engine down the removal cannot tell which: the command takes
  // whichever is there (before, a path-tagged box was given `podman rmi LEGACY`: "image not known").
  for (const era of ['legacy', 'path'] as const)
    it(`a box installed before the tags were its own (${era} tag): the commands name the tags it may share, to take if no other box uses them`, async () => {
      const { root, name, imageId } = await installed();
      const older = [legacyModuleImageTag(name, '1.0.0'), pathImageTag(name, '1.0.0', root)].map(tagText);
      await podman('tag', imageId, era === 'legacy' ? older[0]! : older[1]!);
      await podman('untag', imageId, ownImageTag(name, '1.0.0', root));
      rmSync(path.join(root, 'var/lib/blueprint/services/.image-tags'), { recursive: true, force: true });
      engineDown(root);
      const rm = await bpkg(root, ['--yes', 'remove', name], env);
      expect(rm.code, rm.stderr).toBe(0);
      const all = rm.stdout + rm.stderr;
      const said = all.match(/once the engine runs, if no other box uses it: (podman [^\n]+)/)?.[1];
      expect(said, all).toBe(removeCommand(root, name, imageId, `podman rmi --ignore ${older.join(' ')}`));

      rmSync(configFile(root)); // the engine is back
      await runPasted(said!);
      await expect(podman('image', 'exists', imageId)).rejects.toThrow();
    }, 120_000);

  // Its start gave the image its own tag, which the removal's command takes; the legacy tag the old
  // install gave it stays on it, and with it the image: the output said nothing of it.
  it('a box installed before the tags were its own, started since: the shared tag it still has is said too', async () => {
    const { root, name, imageId } = await installed();
    const legacy = legacyModuleImageTag(name, '1.0.0');
    const legacyTag = `${legacy.repo}:${legacy.tag}`;
    await podman('tag', imageId, legacyTag);
    await podman('untag', imageId, ownImageTag(name, '1.0.0', root));
    rmSync(path.join(root, 'var/lib/blueprint/services/.image-tags'), { recursive: true, force: true });
    const start = await run(['--root', root, 'service', 'start', name], { env }); // tags it its own
    expect(start.code, start.stderr).toBe(0);
    expect((await run(['--root', root, 'service', 'stop', name], { env })).code).toBe(0);
    engineDown(root);
    const rm = await bpkg(root, ['--yes', 'remove', name], env);
    expect(rm.code, rm.stderr).toBe(0);
    const all = rm.stdout + rm.stderr;
    const said = all.match(/once it runs: (podman [^\n]+?)\. /)?.[1];
    expect(said, all).toBe(removeCommand(root, name, imageId));
    expect(all).toContain(`it may also be held by ${legacyTag}`);
    const shared = all.match(/and no other box uses it: (podman rmi [^\n]+)/)?.[1];
    expect(shared, all).toMatch(new RegExp(`^podman rmi --ignore ${legacyTag.replace(/[.]/g, '\\.')}( |$)`));

    rmSync(configFile(root)); // the engine is back
    await runPasted(said!);
    await podman('image', 'exists', imageId); // the legacy tag holds it, as said
    await runPasted(shared!);
    await expect(podman('image', 'exists', imageId)).rejects.toThrow();
  }, 120_000);
});
