/**
 * The web overview lists each service with `sandboxed` beside it. QA13's walk: that word was a
 * constant in the page (as the console's Dashboard badge was), so a privileged container swapped
 * in under a service's name, in the host's PID and network namespaces, read `sandboxed`. It now
 * follows the service's rating (the running container's): `NOT SANDBOXED` there. Real Podman,
 * through the dashboard's own operations (appOps) and page.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerName } from '../../src/core/services/policy.js';
import { appOps } from '../../src/web/app-ops.js';
import { html } from '../../src/web/html.js';
import { overviewBody } from '../../src/web/pages.js';
import {
  buildHello,
  type HelloBuild,
  makeBox,
  podman,
  type TestBox,
  uniqueName,
} from '../services/helpers.js';

const engineUp = existsSync(process.env.CONTAINER_HOST?.replace('unix://', '') ?? '/run/podman/podman.sock');
const text = (p: unknown) => html`${p as never}`.value.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ');

describe.skipIf(!engineUp)('web overview: the sandbox word (real Podman)', () => {
  let build: HelloBuild;
  let box: TestBox;
  const name = uniqueName('webbadge');

  beforeAll(async () => {
    build = await buildHello();
    box = await makeBox(build);
    await box.install(name);
  }, 180_000);
  afterAll(async () => {
    await podman('rm', '-f', '-t', '0', containerName(name)).catch(() => {});
    await box?.cleanup();
    if (build) await rm(build.dir, { recursive: true, force: true });
  });

  it('is sandboxed for blueprint’s sandbox, NOT SANDBOXED for a privileged container in its place', async () => {
    const { startService } = await import('../../src/core/services/lifecycle.js');
    await startService({ engine: box.engine, root: box.root }, name);
    expect(text(overviewBody(await appOps(box.root).overview()))).toContain(`${name} running sandboxed`);

    await podman('rm', '-f', '-t', '0', containerName(name));
    await podman(
      ...['run', '-d', '--name', containerName(name), '--label', `org.blueprintos.module=${name}`],
      ...['--privileged', '--pid', 'host', '--network', 'host', build.id, 'stubborn'],
    );
    expect(text(overviewBody(await appOps(box.root).overview()))).toContain(`${name} running NOT SANDBOXED`);
  }, 120_000);
});
