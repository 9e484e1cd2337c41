// The rating's user-namespace point is the kernel's answer (docs/security-rating.md): a container
// whose id map holds the host's root, at any id inside, is not "root inside is nobody outside".
// QA13's walk: a container swapped in under the service's name with `--uidmap 1000:0:1 --user
// 1000` ran as host uid 0 (its /proc/PID/status from the host: Uid 0), and the rating said
// `user-namespace`, 0 points, 7 of 8 like the real sandbox, and inspect marked the map `ok`: only
// a range from 0 inside to 0 outside was read as the host's ids.
import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectService } from '../../src/core/services/inspect.js';
import { containerName } from '../../src/core/services/policy.js';
import { serviceStatus } from '../../src/core/services/status.js';
import { formatInspection } from '../../src/present/services.js';
import { engineUp, podman, swapBox } from '../services/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

/** A host id range of no one's here, for the container's other ids. */
const BASE = 3_100_000;

async function chownTree(dir: string, id: number): Promise<void> {
  await chown(dir, id, id);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await chownTree(p, id);
    else await chown(p, id, id);
  }
}

describe.skipIf(!engineUp)('a container whose id map holds the host root (real Podman)', () => {
  const { box, build, name, swapIn } = swapBox('rootmap');
  let rootfs: string;

  beforeAll(async () => {
    // The image's files as a folder: Podman 4.3 cannot mount an image's layers for a map that
    // puts the host's 0 anywhere but at 0 (EACCES), so the container runs from --rootfs.
    rootfs = tempDir('bp-rootmap-fs-');
    const made = (await podman('create', build.id)).trim();
    execFileSync('sh', ['-c', `podman export ${made} | tar -x -C ${rootfs}`]);
    await podman('rm', made);
    for (const d of ['proc', 'dev', 'sys', 'etc', 'run'])
      await mkdir(path.join(rootfs, d), { recursive: true });
    await chownTree(rootfs, BASE);
    await chmod(rootfs, 0o755);
  }, 180_000);
  afterAll(async () => {
    if (rootfs) await rm(rootfs, { recursive: true, force: true });
  });

  it('is no user namespace, said by the rating and by inspect', async () => {
    const deps = { engine: box.engine, root: box.root };
    // Behind blueprint's back, every other lock as the sandbox has it: only the id map differs.
    await swapIn(
      ...['--uidmap', `0:${BASE}:1000`, '--uidmap', '1000:0:1', '--uidmap', `1001:${BASE + 1001}:1000`],
      ...['--gidmap', `0:${BASE}:2001`, '--user', '1000:1000'],
      ...['--network', 'none', '--read-only', '--cap-drop', 'all', '--security-opt', 'no-new-privileges'],
      ...['--rootfs', rootfs, '/hello', 'stubborn'],
    );
    const pid = Number((await podman('inspect', '-f', '{{.State.Pid}}', containerName(name))).trim());
    // The kernel, from the host: the process is root here.
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    expect(status).toMatch(/^Uid:\t0\t0\t0\t0$/m);

    const s = await serviceStatus(deps, name);
    expect(s.rating.basis).toBe('container');
    expect(s.rating.items.find((x) => x.code === 'no-user-namespace')).toMatchObject({
      points: -1,
      source: 'container',
    });
    expect(s.rating.items.find((x) => x.code === 'user-namespace')).toBeUndefined();

    const i = await inspectService(deps, name);
    expect(i.process?.mapsHostRoot).toBe(true);
    expect(formatInspection(i)).toMatch(/FAIL uid map 0->3100000 x1000, 1000->0 x1, 1001->3101001 x1000/);
  }, 120_000);
});
