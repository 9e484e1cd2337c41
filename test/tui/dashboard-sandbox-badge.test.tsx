/**
 * The console's Dashboard shows each service with a sandbox badge (docs/tui.md). QA13's walk: the
 * badge was a constant: a container swapped in under a service's name, privileged, in the host's
 * PID and network namespaces, read `[sandboxed]` beside the Services screen's `1/8`, because
 * serviceRows set `sandboxed: true` for every row. It now follows the service's rating, which is
 * the running container's (the kernel's view): any point the sandbox does not allow (a
 * capability, the host's namespaces or ids, a writable root, no seccomp, new privileges, ports, a
 * foreign mount, the engine or the hardware) makes it `[NOT SANDBOXED]`. Real Podman.
 */
import { describe, expect, it } from 'vitest';
import { engineUp, swapBox } from '../services/helpers.js';
import { frameWith, renderApp, sourcesFor } from './helpers.js';

describe.skipIf(!engineUp)('Dashboard: the sandbox badge (real Podman)', () => {
  const { box, build, name, swapIn } = swapBox('badge');

  const dashboardLine = async () => {
    const app = renderApp(
      sourcesFor(box.root, {
        gpus: async () => ({ available: true, value: [] }),
        updates: async () => ({ available: true, value: 0 }),
      }),
    );
    const f = await frameWith(app, new RegExp(`${name} +running +\\[`), 400);
    app.unmount();
    return f.split('\n').find((l) => l.includes(name)) ?? '';
  };

  it('is [sandboxed] for the sandbox blueprint made', async () => {
    const { startService } = await import('../../src/core/services/lifecycle.js');
    await startService({ engine: box.engine, root: box.root }, name);
    expect(await dashboardLine()).toMatch(/running +\[sandboxed\]/);
  }, 120_000);

  it('is [NOT SANDBOXED] for a privileged container swapped in under its name', async () => {
    await swapIn('--privileged', '--pid', 'host', '--network', 'host', build.id, 'stubborn');
    expect(await dashboardLine()).toMatch(/running +\[NOT SANDBOXED\]/);
  }, 120_000);
});
