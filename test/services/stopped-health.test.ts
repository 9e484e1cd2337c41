/**
 * Issue 12, bug 7: after `service stop`, status said "exited (0) unhealthy". A stopped service has
 * no health to judge: it is not unhealthy. Real engine (Podman), the hello module.
 */
import { describe, expect, it } from 'vitest';
import { startService, stopService } from '../../src/core/services/lifecycle.js';
import { serviceStatus } from '../../src/core/services/status.js';
import { buildHello, fileBox, uniqueName } from './helpers.js';

const name = uniqueName('bpt-stopped');
const box = fileBox(buildHello, name);

describe('service status of a stopped service', () => {
  it('is healthy while it runs, and not unhealthy once stopped', async () => {
    const deps = { engine: box.engine, root: box.root };
    await startService(deps, name);
    expect(await serviceStatus(deps, name)).toMatchObject({ state: 'running', health: 'healthy' });
    expect(await stopService(deps, name)).toBe(true);
    const st = await serviceStatus(deps, name);
    expect(st).toMatchObject({ state: 'exited', exitCode: 0 });
    expect(st.health).toBe('none');
  }, 120_000);
});
