/**
 * A running service's memory limit removed outside blueprint (`podman update --memory` to the
 * kernel's "no limit") was said in text ("no limit") but --json gave the kernel's figure,
 * 9223372036854771712 (written 9223372036854772000; cgroup v1's page-counter maximum; v2's "max" reads as it too): a script
 * comparing limits read it as 8 EiB. Now every --json that carries such a limit says null and
 * `noMemoryLimit: true` beside it: service status (limitChangedOutside), service inspect (the
 * cgroup's figure and limitChangedOutside) and a refused start's admission (the running services'
 * limitBytes). Real Podman, through the built executable.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { limitedTo, startLimited, updateMemoryOutside } from '../services/container-memory.js';
import { buildHello, engineUp, makeBox, type TestBox, uniqueName } from '../services/helpers.js';

const MiB = 1024 ** 2;
const KERNEL_NO_LIMIT = '9223372036854771712';

describe.skipIf(!engineUp)('--json: a memory limit removed outside blueprint', () => {
  let box: TestBox | undefined;
  afterAll(async () => {
    await box?.cleanup();
  });

  it('is null with noMemoryLimit: true in status, inspect and a refused start', async () => {
    box = await makeBox(await buildHello());
    const root = box.root;
    const name = uniqueName('bpt-jnl');
    const other = uniqueName('bpt-jnlo');
    await box.install(other, limitedTo('64m'));
    const services = await startLimited(box, name, '64m');
    try {
      await updateMemoryOutside(name, KERNEL_NO_LIMIT);
      const json = async (...args: string[]) => {
        const r = await run(['--root', root, '--json', ...args]);
        const doc = JSON.parse(r.stdout);
        // As JSON writes that double: 9223372036854772000. Inspect's `probe` is the files' raw text
        // as read inside the container (memory.limit_in_bytes among them), evidence kept as read.
        expect(JSON.stringify({ ...doc, probe: undefined })).not.toMatch(/92233720368547\d{5}/);
        return { code: r.code, doc, stderr: r.stderr };
      };
      const removed = { memoryBytes: null, noMemoryLimit: true, planMemoryBytes: 64 * MiB };

      const status = await json('service', 'status', name);
      expect(status.code, status.stderr).toBe(0);
      expect(status.doc.limitChangedOutside, JSON.stringify(status.doc)).toEqual(removed);

      const inspect = await json('service', 'inspect', name);
      expect(inspect.code, inspect.stderr).toBe(0);
      expect(inspect.doc.limitChangedOutside).toEqual(removed);
      expect(inspect.doc.process.cgroup).toMatchObject({ memoryBytes: null, noMemoryLimit: true });

      // The admission that refuses another start names it, its limit null too.
      const start = await json('service', 'start', other);
      expect(start.code).not.toBe(0);
      const row = start.doc.error.admission.running.find((r: { name: string }) => r.name === name);
      expect(row).toMatchObject({ limitBytes: null, noMemoryLimit: true });
      // A limit that is one keeps its figure and no such field.
      const plain = await json('service', 'status', other);
      expect(JSON.stringify(plain.doc)).not.toContain('noMemoryLimit');
    } finally {
      await services.stop(name);
    }
  }, 180_000);
});
