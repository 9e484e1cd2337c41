import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildHello, type HelloBuild, makeBox, type TestBox, uniqueName } from '../services/helpers.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

/** The Services screen over the real services module and the shared Podman engine. */
const engineUp = existsSync(process.env.CONTAINER_HOST?.replace('unix://', '') ?? '/run/podman/podman.sock');
let build: HelloBuild;
let box: TestBox;
const name = uniqueName('tuihello');

beforeAll(async () => {
  if (!engineUp) return;
  build = await buildHello();
  box = await makeBox(build);
  await box.install(name);
});
afterAll(async () => {
  await box?.cleanup();
  if (build) await rm(build.dir, { recursive: true, force: true });
});

it.skipIf(!engineUp)(
  'lists, starts, inspects and stops a sandboxed service from the Services screen',
  async () => {
    // The engine's answers waited on as long as the test's steps are (60 s): on a loaded machine
    // (load 9 on 2 cores) an inspect took over the console's 5 s and the screen said the engine
    // does not answer, which is engine-silent's test, not this one's.
    const app = renderApp(sourcesFor(box.root, {}, { engineWaitMs: 60_000 }));
    await type(app, '3');
    expect(await frameWith(app, name)).toMatch(
      new RegExp(`${name}\\s+not created\\s+\\d/8\\s+1\\.0\\.0 net:loopback-socket`),
    );
    await type(app, 's');
    // What happened, in the CLI's words (present/service-actions.ts), not only that it ended.
    await frameWith(app, new RegExp(`${name} 1\\.0\\.0 started, healthy after \\d+ ms`), 600);
    expect(await frameWith(app, new RegExp(`${name}\\s+running`), 400)).toContain('healthy');
    await type(app, 's');
    await frameWith(app, `${name} 1.0.0 was already running, healthy`, 600);
    await type(app, 'l');
    await frameWith(app, `Logs of ${name} (following;`);
    await type(app, 'q');
    await frameWith(app, 'Services (1)');
    await type(app, '\r');
    const inspected = await frameWith(app, `Inspect ${name}`, 400);
    expect(inspected).toMatch(/CapEff|capabilit/i);
    await type(app, 'x');
    await frameWith(app, 'Services (1)');
    await type(app, 'S');
    await frameWith(app, `${name} stopped`, 600);
    await frameWith(app, new RegExp(`${name}\\s+(exited|stopped)`), 400);
    app.unmount();
  },
);
