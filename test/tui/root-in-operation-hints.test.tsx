/**
 * The console's operations and service notes named commands without the console's --root. On the
 * demo box (`npm start` opens `blueprint --root .demo/root`), installing hello from the Packages
 * screen ended with "hello is installed, not started: `blueprint service start hello` starts it",
 * which, pasted, acts on / (no such package there) — where `bpkg --root .demo/root install hello`
 * says `blueprint --root .demo/root service start hello` (found by the QA24 walk). The progress, an
 * error's message and hint, a service action's note and the logs pane's error now carry the root,
 * as the CLI's hints, the dashboard's pages and the Keys screen do (README: "After --root DIR, the
 * commands a hint names carry --root DIR").
 */
import { afterEach, expect, it } from 'vitest';
import { carryRoot } from '../../src/present/root-in-hints.js';
import type { Sources } from '../../src/tui/sources.js';
import { boxPerTest } from '../helpers/roots.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('tuiophint');

afterEach(() => carryRoot(undefined));

const packages: Sources['packages'] = async () => ({
  available: true,
  value: [{ name: 'hello', version: '1.0.0', installed: true, summary: 'hi' }],
});
const services: Sources['services'] = async () => ({
  available: true,
  value: [{ name: 'web', state: 'exited', sandboxed: true, detail: '' }],
});
const withHint = (message: string, hint: string) => Object.assign(new Error(message), { hint });
const flat = (s: string) => s.replace(/\s+/g, ' ');

it("an operation's progress lines name commands with the console's --root", async () => {
  carryRoot({ root: '/srv/box', typed: true });
  const app = renderApp(
    sourcesFor(box.root, {
      packages,
      async packageAction(_action, _name, progress) {
        progress('hello is installed, not started: `blueprint service start hello` starts it');
      },
    }),
  );
  await type(app, '2');
  await frameWith(app, 'Packages (1)');
  await type(app, 'x');
  await frameWith(app, 'Confirm: remove hello?');
  await type(app, 'y');
  const frame = flat(await frameWith(app, 'Done.'));
  expect(frame).toContain('`blueprint --root /srv/box service start hello`');
  app.unmount();
});

it("a failed operation's message and hint name commands with the console's --root", async () => {
  carryRoot({ root: '/srv/box', typed: true });
  const app = renderApp(
    sourcesFor(box.root, {
      packages,
      packageAction: () =>
        Promise.reject(withHint('hello is held by `bpkg hold`', 'Run `bpkg update`, then try again')),
    }),
  );
  await type(app, '2');
  await frameWith(app, 'Packages (1)');
  await type(app, 'x');
  await frameWith(app, 'Confirm: remove hello?');
  await type(app, 'y');
  const frame = flat(await frameWith(app, 'hint:'));
  expect(frame).toContain('`bpkg --root /srv/box hold`');
  expect(frame).toContain('`bpkg --root /srv/box update`');
  app.unmount();
});

it("a service action's note and the logs pane's error carry the --root", async () => {
  carryRoot({ root: '/srv/box', typed: true });
  const app = renderApp(
    sourcesFor(box.root, {
      services,
      serviceAction: () =>
        Promise.reject(withHint('web is not installed', 'Install it with `bpkg install web`')),
      followLogs: () =>
        Promise.reject(withHint('web has no logs yet', 'Start it with `blueprint service start web`')),
    }),
  );
  await type(app, '3');
  await frameWith(app, 'Services (1)');
  await type(app, 's');
  expect(flat(await frameWith(app, 'web is not installed'))).toContain('`bpkg --root /srv/box install web`');
  await type(app, 'l');
  expect(flat(await frameWith(app, 'web has no logs yet'))).toContain(
    '`blueprint --root /srv/box service start web`',
  );
  app.unmount();
});

it('on / the same lines are shown as they are', async () => {
  const app = renderApp(
    sourcesFor(box.root, {
      packages,
      async packageAction(_action, _name, progress) {
        progress('hello is installed, not started: `blueprint service start hello` starts it');
      },
    }),
  );
  await type(app, '2');
  await frameWith(app, 'Packages (1)');
  await type(app, 'x');
  await frameWith(app, 'Confirm: remove hello?');
  await type(app, 'y');
  expect(flat(await frameWith(app, 'Done.'))).toContain('`blueprint service start hello` starts it');
  app.unmount();
});
