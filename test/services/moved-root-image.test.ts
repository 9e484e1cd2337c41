/**
 * A box root moved (`mv`) to another path is the same box: its module's image was tagged for the
 * old path (ff845f5's tag: a hash of the root's real path), so the moved box's removal found no tag
 * of its own and left the image in the engine for good, and a box made later at the old path (a copy
 * of the moved one here) took that tag for its own: its removal untagged it and removed the image
 * the moved box had installed and not started, whose service could then no longer start. The tag is
 * the box's identity's (its root folder's device, inode and birth time, as the container's box label):
 * the moved box keeps it, a box at the old path has its own. Real Podman, the executable (`npm run
 * build` first).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bpkg, run, tempDir } from '../helpers/pkg.js';
import { type EngineLeft, installedHello, podman, removeLeft } from './helpers.js';

const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
const left: EngineLeft = { containers: [], images: [] };

afterAll(() => removeLeft(left));

async function installedThenMoved(base: string) {
  const { name, root, imageId } = await installedHello(base, env, left);
  const moved = path.join(tempDir('bp-svc-mvimg-'), 'root');
  execFileSync('mv', [root, moved]);
  return { name, root, moved, imageId };
}

describe('a box root moved to another path', () => {
  it('removes its image at its removal', async () => {
    const { name, moved, imageId } = await installedThenMoved('bpt-mvimg');
    const rm = await bpkg(moved, ['--yes', 'remove', name], env);
    expect(rm.code, rm.stderr).toBe(0);
    await expect(podman('image', 'exists', imageId)).rejects.toThrow(); // left under the old path's tag
  }, 120_000);

  it('keeps its image from a box made at its old path, starts, and its own removal takes it', async () => {
    const { name, root, moved, imageId } = await installedThenMoved('bpt-mvimg2');
    // Another box at the old path, with the same package (a copy of the moved one).
    execFileSync('cp', ['-a', moved, root]);
    const rmOther = await bpkg(root, ['--yes', 'remove', name], env);
    expect(rmOther.code, rmOther.stderr).toBe(0);
    await podman('image', 'exists', imageId); // throws if that box took the moved box's image

    const start = await run(['--root', moved, '--json', 'service', 'start', name], { env });
    expect(start.code, start.stderr).toBe(0);
    expect(JSON.parse(start.stdout)).toMatchObject({ name, healthy: true });
    const rm = await bpkg(moved, ['--yes', 'remove', name], env);
    expect(rm.code, rm.stderr).toBe(0);
    await expect(podman('image', 'exists', imageId)).rejects.toThrow();
  }, 120_000);
});
