/**
 * A box root copied from another (`cp -a ROOT COPY`) shares the one Podman engine with it, and
 * container names (blueprint-NAME) and module labels are engine-wide: the copy's `service stop`,
 * `start` and `bpkg remove` stopped, replaced and removed the original box's container. A container
 * now belongs to the root its log file is under; another box's is refused (exit 5, 'other-box', what
 * to do), left alone by `bpkg remove` (with a warning), and its image, which it still uses, stays.
 * A container whose box is gone (deleted, or no longer has the module) is no other box's. Real
 * Podman, the executable (`npm run build` first).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ContainerInfo, otherBox } from '../../src/core/services/container-info.js';
import { bpkg, run, tempDir } from '../helpers/pkg.js';
import { helloPackageRoot, podman, uniqueName } from './helpers.js';

const name = uniqueName('bpt-copy');
const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
let cleanup: string | undefined;

afterAll(async () => {
  if (cleanup) await bpkg(cleanup, ['remove', '--yes', name], env);
});

const state = async () =>
  JSON.parse(
    await podman('inspect', '--format', '{"id":"{{.Id}}","running":{{.State.Running}}}', `blueprint-${name}`),
  );

describe('two box roots on one engine', () => {
  it("the copy's commands refuse the original's container; its remove leaves container and image", async () => {
    const { root: original } = await helloPackageRoot(name, env, tempDir('bp-svc-copy-'));
    cleanup = original;
    expect((await bpkg(original, ['--yes', 'install', name], env)).code).toBe(0);
    const started = await run(['--root', original, 'service', 'start', name], { env });
    expect(started.code, started.stderr).toBe(0);
    const before = await state();
    expect(before.running).toBe(true);
    const imageId = (await podman('inspect', '--format', '{{.Image}}', `blueprint-${name}`)).trim();

    const copy = path.join(tempDir('bp-svc-copy-'), 'root');
    execFileSync('cp', ['-a', original, copy]);

    for (const cmd of ['stop', 'start', 'restart']) {
      const r = await run(['--root', copy, 'service', cmd, name], { env });
      expect(r.code, `${cmd}: ${r.stderr}`).toBe(5);
      expect(r.stderr).toContain(`The container blueprint-${name} belongs to the box at ${original}`);
      expect(r.stderr).toContain(`blueprint --root ${original}`);
    }
    const json = await run(['--root', copy, '--json', 'service', 'stop', name], { env });
    expect(JSON.parse(json.stdout).error.code).toBe('other-box');
    // Shown as none of the copy's, not as its own running service, and why it cannot be made.
    const list = await run(['--root', copy, '--json', 'service', 'list'], { env });
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ name, state: 'not created (its name is held by another box)' }),
    ]);
    expect(await state()).toEqual(before);

    const rm = await bpkg(copy, ['--yes', 'remove', name], env);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stderr).toContain(
      `its container was left alone: The container blueprint-${name} belongs to the box at ${original}`,
    );
    expect(await state()).toEqual(before);
    await podman('image', 'exists', imageId); // throws if it was removed

    // The original still manages its own.
    const stop = await run(['--root', original, '--json', 'service', 'stop', name], { env });
    expect(stop.code, stop.stderr).toBe(0);
    expect((await state()).running).toBe(false);
  });
});

describe('whose container it is (otherBox)', () => {
  const made = (root: string, n = 'hello') =>
    ({ HostConfig: { LogConfig: { Path: `${root}/var/log/blueprint/services/${n}.log` } } }) as ContainerInfo;
  const box = (registered: boolean) => {
    const root = path.join(tempDir('bp-owner-'), 'root');
    mkdirSync(path.join(root, 'var/lib/blueprint/services', registered ? 'hello' : ''), { recursive: true });
    return root;
  };

  it('another box that has the module: that box; ours, by name or through a link: none', () => {
    const ours = box(true);
    const theirs = box(true);
    expect(otherBox(made(theirs), ours, 'hello')).toBe(theirs);
    expect(otherBox(made(ours), ours, 'hello')).toBeUndefined();
    const link = path.join(tempDir('bp-owner-'), 'link');
    symlinkSync(ours, link);
    expect(otherBox(made(ours), link, 'hello')).toBeUndefined();
    expect(otherBox(made(link), ours, 'hello')).toBeUndefined();
  });

  it("a box gone, or one that no longer has the module, or no such log path: no one else's", () => {
    const ours = box(true);
    const gone = box(true);
    rmSync(gone, { recursive: true });
    expect(otherBox(made(gone), ours, 'hello')).toBeUndefined();
    expect(otherBox(made(box(false)), ours, 'hello')).toBeUndefined();
    expect(otherBox({ HostConfig: {} } as ContainerInfo, ours, 'hello')).toBeUndefined();
    expect(otherBox(made(box(true), 'other'), ours, 'hello')).toBeUndefined();
  });
});
