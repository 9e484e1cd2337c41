/**
 * QA25: an empty list said `Nothing to show.` whatever the reason: on a new box's Services (no
 * module installed) and Packages (no repository) it now says what to do next, with the console's
 * --root in the commands; a filter that matches nothing says how to clear it.
 */
import { afterEach, expect, it } from 'vitest';
import { carryRoot } from '../../src/present/root-in-hints.js';
import { boxPerTest } from '../helpers/roots.js';
import { consoleSize, frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('emptylists');
afterEach(() => carryRoot(undefined));

it('an empty Services list says how a service comes to be', async () => {
  const app = renderApp(sourcesFor(box.root, { services: async () => ({ available: true, value: [] }) }));
  consoleSize(app, 80, 24);
  await frameWith(app, 'Host');
  await type(app, '3');
  const f = await frameWith(app, 'Services (0)');
  expect(f).not.toContain('Nothing to show');
  expect(f).toContain("No services: a module's package installs one (2 Packages, i)");
  app.unmount();
});

it("an empty Packages list says how to add a repository, with the console's --root", async () => {
  carryRoot({ root: box.root, typed: true });
  const app = renderApp(sourcesFor(box.root, { packages: async () => ({ available: true, value: [] }) }));
  consoleSize(app, 120, 30);
  await frameWith(app, 'Host');
  await type(app, '2');
  const f = await frameWith(app, 'Packages (0)');
  expect(f).not.toContain('Nothing to show');
  expect(f.replace(/\s+/g, ' ')).toContain(`bpkg --root ${box.root} repo add NAME URL --key FPR`);
  app.unmount();
});

it('a filter that matches nothing says how to clear it', async () => {
  const app = renderApp(
    sourcesFor(box.root, {
      packages: async () => ({
        available: true,
        value: [{ name: 'hello', version: '1.0.0', installed: false, summary: 'a service' }],
      }),
    }),
  );
  consoleSize(app, 80, 24);
  await frameWith(app, 'Host');
  await type(app, '2');
  await frameWith(app, 'hello');
  await type(app, '/', 'z', 'z', '\r');
  const f = await frameWith(app, 'of 1');
  expect(f).toContain('Nothing matches "zz": / then Esc clears the filter.');
  app.unmount();
});
