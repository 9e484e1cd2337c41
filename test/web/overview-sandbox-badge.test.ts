/**
 * The web overview lists each service with `sandboxed` beside it. QA13's walk: that word was a
 * constant in the page (as the console's Dashboard badge was), so a privileged container swapped
 * in under a service's name, in the host's PID and network namespaces, read `sandboxed`. It now
 * follows the service's rating (the running container's): `NOT SANDBOXED` there. Real Podman,
 * through the dashboard's own operations (appOps) and page.
 */
import { describe, expect, it } from 'vitest';
import { appOps } from '../../src/web/app-ops.js';
import { html } from '../../src/web/html.js';
import { overviewBody } from '../../src/web/pages.js';
import { engineUp, swapBox } from '../services/helpers.js';

const text = (p: unknown) => html`${p as never}`.value.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ');

describe.skipIf(!engineUp)('web overview: the sandbox word (real Podman)', () => {
  const { box, build, name, swapIn } = swapBox('webbadge');

  it('is sandboxed for blueprint’s sandbox, NOT SANDBOXED for a privileged container in its place', async () => {
    const { startService } = await import('../../src/core/services/lifecycle.js');
    await startService({ engine: box.engine, root: box.root }, name);
    expect(text(overviewBody(await appOps(box.root).overview()))).toContain(`${name} running sandboxed`);

    await swapIn('--privileged', '--pid', 'host', '--network', 'host', build.id, 'stubborn');
    expect(text(overviewBody(await appOps(box.root).overview()))).toContain(`${name} running NOT SANDBOXED`);
  }, 120_000);
});
