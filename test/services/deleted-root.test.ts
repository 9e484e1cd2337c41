/**
 * A box root deleted while its service ran leaves the container running in the engine, its sockets
 * and data bound to the deleted folders. A new box made at the same path (the same log path, the
 * same spec) took that container for its own: `service start` found it running and waited, for the
 * whole startTimeout, for a socket that the container could never make in the new folder. The
 * container is recognised as made for the box that was at the path before (its root folder's
 * identity is in the spec label), replaced, and the new box's service starts healthy. Real Podman,
 * the executable (`npm run build` first).
 */
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { bpkg, run } from '../helpers/pkg.js';
import { helloPackageRoot, ownImageTag, podman, uniqueName } from './helpers.js';

const name = uniqueName('bpt-reroot');
const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
let root: string | undefined;
/** The deleted box's own tag of the image: no other box takes it (it may be a box moved away). */
let deletedTag: string | undefined;

afterAll(async () => {
  if (root) await bpkg(root, ['remove', '--yes', name], env);
  await podman('rm', '-f', `blueprint-${name}`).catch(() => {});
  if (deletedTag) await podman('rmi', deletedTag).catch(() => {});
});

const containerId = async () => (await podman('inspect', '--format', '{{.Id}}', `blueprint-${name}`)).trim();

describe('a box made again at the path of a deleted one', () => {
  it("replaces the deleted box's running container and starts healthy", async () => {
    const made = await helloPackageRoot(name, env);
    root = made.root;
    expect((await bpkg(root, ['--yes', 'install', name], env)).code).toBe(0);
    // The same box, installed and never started, made again later at this path (a new folder).
    const again = `${root}.again`;
    execFileSync('cp', ['-a', root, again]);

    const first = await run(['--root', root, '--json', 'service', 'start', name], { env });
    expect(first.code, first.stderr).toBe(0);
    const old = await containerId();
    // The box is deleted with its service running; a new one takes its path.
    deletedTag = ownImageTag(name, '1.0.0', root);
    execFileSync('rm', ['-rf', root]);
    execFileSync('mv', [again, root]);
    expect(JSON.parse(await podman('inspect', '--format', '{{json .State.Running}}', old))).toBe(true);

    const second = await run(['--root', root, '--json', 'service', 'start', name], { env });
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ name, healthy: true });
    expect(await containerId()).not.toBe(old);
    // And the new container is this box's: started again, it is reused (same identity, same spec).
    const now = await containerId();
    expect((await run(['--root', root, 'service', 'restart', name], { env })).code).toBe(0);
    expect(await containerId()).toBe(now);
  }, 120_000);
});
