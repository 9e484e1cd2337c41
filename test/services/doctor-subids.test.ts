import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/core/services/doctor.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * `blueprint --root .demo/root doctor` (the README's demo box) said FAIL: no "containers" range in
 * /etc/subuid, /etc/subgid, exit 1, beside containers running with `userns=auto` on that same
 * engine. It read ROOT/etc/subuid; the engine it checks takes its ids from its own machine's
 * /etc/subuid and /etc/subgid, whatever --root says (as do the socket and runtime checks).
 */
const hostHas = ['/etc/subuid', '/etc/subgid'].every((f) => {
  try {
    return /^containers:\d+:\d+$/m.test(readFileSync(f, 'utf8'));
  } catch {
    return false;
  }
});

describe('doctor: subordinate ids', () => {
  it("are the engine's machine's, not the --root folder's", async () => {
    const root = tempDir('bp-doctor-subids-'); // no etc/ at all, as a demo root
    const check = (await runDoctor(root)).find((c) => c.name === 'subordinate ids');
    expect(check?.ok).toBe(hostHas);
    // scripts/setup-host.sh adds the range on the machines the tests run on.
    expect(hostHas).toBe(true);
  });
});
