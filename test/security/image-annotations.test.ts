import { afterAll, describe, expect, it } from 'vitest';
import { annotatedHello } from '../helpers/annotated-image.js';
import { makeBox, podman, type TestBox, uniqueName } from '../services/helpers.js';

/**
 * A module's image archive may be an OCI archive (the engine loads either kind), and an OCI
 * image carries annotations, which the engine copies onto every container made from it. The
 * runtime acts on some: runc applies `org.systemd.property.*` to the container's systemd scope
 * where the engine uses the systemd cgroup manager (the appliance's default), crun reads its
 * `run.oci.*`. A publisher could so set what the sandbox leaves to the box (memory protection
 * from reclaim, CPU and I/O weight…) on every box that installed the package. Nothing of
 * blueprint's own build makes annotations but the OCI base-image ones; an image with any other is
 * refused at install, before anything is registered, and not left in the engine.
 */

const boxes: TestBox[] = [];
afterAll(async () => {
  for (const b of boxes) await b.cleanup();
});

describe('image annotations the runtime acts on', () => {
  it('an image annotated with org.systemd.property.* is refused at install and not kept', async () => {
    const build = annotatedHello({
      'org.systemd.property.MemoryMin': '4G',
      'org.systemd.property.CPUWeight': '10000',
    });
    const box = await makeBox(build);
    boxes.push(box);
    const name = uniqueName('bpt-annotated');
    await expect(box.install(name)).rejects.toMatchObject({
      code: 'image-annotations',
      message: expect.stringContaining('org.systemd.property.MemoryMin'),
      hint: expect.stringMatching(/\S/),
    });
    expect(await podman('images', '-q', '--filter', `id=${build.id.slice(7)}`)).toBe('');
  }, 120_000);

  it('the OCI base-image annotations a plain build adds are accepted', async () => {
    const build = annotatedHello({ 'org.opencontainers.image.title': 'hello' });
    const box = await makeBox(build);
    boxes.push(box);
    await expect(box.install(uniqueName('bpt-plain'))).resolves.toBeDefined();
  }, 120_000);
});
