import { afterAll, describe, expect, it } from 'vitest';
import { bpkg, run } from '../helpers/pkg.js';
import { helloPackageRoot, podman, uniqueName } from './helpers.js';

// The whole path a module takes, through the executable: `blueprint repo build` builds the image
// (podman build FROM scratch) and signs its ID in the manifest; `bpkg install` loads and checks it;
// the service runs; `bpkg remove` leaves nothing in the engine.
const name = uniqueName('bpt-pkg');
const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
let root: string | undefined;

afterAll(async () => {
  if (root) await bpkg(root, ['remove', '--yes', name], env);
});

describe('a module as a signed package', () => {
  it('builds, installs, runs and is removed without leftovers', async () => {
    root = (await helloPackageRoot(name, env)).root;
    const inst = await bpkg(root, ['--json', '--yes', 'install', name], env);
    expect(inst.code, inst.stderr).toBe(0);

    const start = await run(['--root', root, '--json', 'service', 'start', name], { env });
    expect(start.code, start.stderr).toBe(0);
    expect(JSON.parse(start.stdout)).toMatchObject({ name, healthy: true });
    const imageId = (await podman('inspect', '--format', '{{.Image}}', `blueprint-${name}`)).trim();

    const rm = await bpkg(root, ['--json', '--yes', 'remove', name], env);
    expect(rm.code, rm.stderr).toBe(0);
    expect(await podman('ps', '-a', '--filter', `label=org.blueprintos.module=${name}`, '-q')).toBe('');
    await expect(podman('image', 'exists', imageId)).rejects.toThrow();
    root = undefined;
  });
});
