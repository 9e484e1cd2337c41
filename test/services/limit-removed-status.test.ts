/**
 * REVIEW11's hand-over (report-REVIEW11.md, test/security/limit-removed-outside): a running service's
 * memory limit removed outside blueprint (`podman update --memory 9223372036854771712`, the kernel's
 * "no limit") was inspect's FAIL on cgroup v1 only: a v2 memory.max of "max" read as no figure, as an
 * unreadable file does, so nothing was said. And `service status NAME` (LIMITS2: the same judge)
 * and memory admission read the limit through cgroupMemoryLimit, which took v1's figure (past
 * 2^53) for none too: status said nothing, and admission counted the service at its plan's 64 MiB
 * while it may take all the memory the box has.
 *
 * Now "no limit" reads as one figure on both (NO_MEMORY_LIMIT): inspect and status say it ("no
 * limit") with the command that sets it back, and admission counts such a service as holding all
 * the memory available (a start is refused, naming it). Real Podman on this cgroup v1 VM; the v2
 * reading is judged from the file's text.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { AdmissionError } from '../../src/core/services/admission.js';
import { NO_MEMORY_LIMIT } from '../../src/core/services/bytes.js';
import { memoryLimitFrom } from '../../src/core/services/cgroup.js';
import { run } from '../helpers/pkg.js';
import { limitedTo, startLimited, updateMemoryOutside } from './container-memory.js';
import { buildHello, engineUp, makeBox, type TestBox, uniqueName } from './helpers.js';

const MiB = 1024 ** 2;

describe('a cgroup memory limit file read', () => {
  it('v2 "max" and v1 PAGE_COUNTER_MAX pages (4 KiB or 64 KiB) are no limit; a figure is itself', () => {
    expect(memoryLimitFrom('max\n')).toBe(NO_MEMORY_LIMIT);
    expect(memoryLimitFrom('9223372036854771712\n')).toBe(NO_MEMORY_LIMIT);
    expect(memoryLimitFrom('9223372036854710272\n')).toBe(NO_MEMORY_LIMIT);
    expect(memoryLimitFrom('67108864\n')).toBe(64 * MiB);
    expect(memoryLimitFrom(undefined)).toBeUndefined();
    expect(memoryLimitFrom('')).toBeUndefined();
    expect(memoryLimitFrom('garbage')).toBeUndefined();
  });
});

describe.skipIf(!engineUp)('service status and admission: a memory limit removed outside blueprint', () => {
  let box: TestBox | undefined;
  afterAll(async () => {
    await box?.cleanup();
  });

  it('status says it as inspect does, and admission counts all the memory available for it', async () => {
    box = await makeBox(await buildHello());
    const root = box.root;
    const name = uniqueName('bpt-unls');
    const other = uniqueName('bpt-unlo');
    await box.install(other, limitedTo('64m'));
    const services = await startLimited(box, name, '64m');
    try {
      const none = '9223372036854771712';
      await updateMemoryOutside(name, none);
      const removed = { memoryBytes: NO_MEMORY_LIMIT, planMemoryBytes: 64 * MiB };
      expect((await services.status(name)).limitChangedOutside).toEqual(removed);
      expect((await services.inspect(name)).limitChangedOutside).toEqual(removed);
      const said = `its container's memory limit was changed outside blueprint (no limit; its sandbox plan gives 64 MiB): set it back with \`podman update --memory 64m --memory-swap 64m blueprint-${name}\``;
      const status = await run(['--root', root, 'service', 'status', name]);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain(`${name}: ${said}`);
      const inspect = await run(['--root', root, 'service', 'inspect', name]);
      expect(inspect.stdout).toContain(`FAIL ${said}`);
      expect(inspect.stdout).toMatch(/FAIL +memory limit none/);

      // It may take all the memory the box has: another start is refused, naming it.
      const err = await services.start(other).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AdmissionError);
      expect((err as AdmissionError).message).toContain(`running: ${name} no memory limit`);
    } finally {
      await services.stop(name);
    }
  }, 180_000);
});
