/**
 * `blueprint gpu --timeout MS` took any number JavaScript reads as an integer: `1e99`, or
 * 99999999999 (more than the 24.8 days a Node timer can wait). Such a deadline overflows the timer,
 * which Node then fires after 1 ms (TimeoutOverflowWarning): nvidia-smi or rocm-smi would be given
 * up at once, the opposite of what a long timeout asks. Now refused as bad usage (exit 2): whole
 * digits only, at most a day (86400000 ms; the tool's timer adds its kill grace to it).
 */
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

describe('gpu --timeout', () => {
  it.each(['1e99', '99999999999', '2147483647', '86400001', '0x10', '1.0'])(
    'refuses %s (exit 2)',
    async (value) => {
      const r = await run(['--root', tempDir('bp-gpu-timeout-'), 'gpu', '--no-tools', '--timeout', value]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`--timeout needs a whole number of milliseconds`);
    },
  );

  it('takes 86400000 and 5000', async () => {
    for (const value of ['86400000', '5000']) {
      const r = await run(['--root', tempDir('bp-gpu-timeout-'), 'gpu', '--no-tools', '--timeout', value]);
      expect(r.code, r.stderr).toBe(0);
    }
  });
});
