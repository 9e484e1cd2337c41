/**
 * MEMADMIT: a running service keeps the memory limit it started with; `service inspect`, `service
 * status NAME` and the dashboard say when its next start gives it another (an override, a setting,
 * a model installed since) with the restart that applies it. The console's Services screen said
 * nothing: its list does not read that (every llm model's header each 2 s). Now the screen says it
 * under the table, in the CLI's words with the console's --root, and its inspect view (Enter) has
 * the CLI's line; nothing once a restart makes them agree. Real Podman (hello, 128 MiB, started,
 * then overridden to 96 MiB without a restart), the real core.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { carryRoot } from '../../src/present/root-in-hints.js';
import { buildHello, engineUp, makeBox, type TestBox, uniqueName } from '../services/helpers.js';
import { consoleSize, frameWith, renderApp, sourcesFor, type } from './helpers.js';

const writeOverride = (root: string, name: string, text: string) => {
  const file = path.join(root, 'etc/blueprint/overrides', `${name}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
};

describe.skipIf(!engineUp)('console Services: the memory limit a restart changes (real Podman)', () => {
  let box: TestBox | undefined;
  const name = uniqueName('bpt-tuilim');

  beforeAll(async () => {
    box = await makeBox(await buildHello());
    await box.install(name);
  }, 120_000);
  afterAll(async () => {
    carryRoot(undefined);
    await box?.cleanup();
  });

  it('says the limit it runs with and the one its next start gives, on the list and in inspect', async () => {
    const services = openBox(box!.root).services;
    writeOverride(box!.root, name, '{ "memory": "128m" }\n');
    await services.start(name);
    writeOverride(box!.root, name, '{ "memory": "96m" }\n');
    carryRoot({ root: box!.root, typed: true });
    const app = renderApp(sourcesFor(box!.root, {}, { engineWaitMs: 60_000 }));
    consoleSize(app, 200, 30);
    await type(app, '3');
    const list = (await frameWith(app, 'its next start gives it', 200)).replace(/\s+/g, ' ');
    expect(list).toContain(
      `${name}: runs with a memory limit of 128 MiB; its next start gives it 96 MiB: \`blueprint --root ${box!.root} service restart ${name}\``,
    );
    // At 40 columns the line wraps (CONSOLE3: cut, it lost the restart command), whole.
    consoleSize(app, 40, 16);
    await frameWith(app, /restart\s/, 200);
    const narrow = (app.lastFrame() ?? '').replace(/\s+/g, ' ');
    expect(narrow).toContain(
      `its next start gives it 96 MiB: \`blueprint --root ${box!.root} service restart ${name}\``,
    );
    consoleSize(app, 200, 30);
    await frameWith(app, `${name}: runs with`, 200);
    await type(app, '\r');
    const inspect = (await frameWith(app, `Inspect ${name}`, 200)).replace(/\s+/g, ' ');
    expect(inspect).toContain('runs with a memory limit of 128 MiB; its next start gives it 96 MiB');
    await type(app, 'q');
    await frameWith(app, 'Services (1)');
    // R restarts it: the new limit is the one it runs with, and the line goes.
    await type(app, 'R');
    await frameWith(app, 'restarted', 200);
    // The console forgets what it read of a service it restarted: the next reads find them agree.
    const until = Date.now() + 15_000;
    while (app.lastFrame()?.includes('its next start gives it') && Date.now() < until)
      await new Promise((r) => setTimeout(r, 250));
    expect(app.lastFrame()).not.toContain('its next start gives it');
    // Read again (a poll starts the read, the next shows it): they agree, still nothing said.
    await new Promise((r) => setTimeout(r, 5000));
    expect(app.lastFrame()).not.toContain('its next start gives it');
    expect(app.lastFrame()).toContain(name);
    app.unmount();
    await services.stop(name);
  }, 180_000);
});
