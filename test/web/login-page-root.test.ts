import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { carryRoot } from '../../src/present/root-in-hints.js';
import { type Dashboard, startDashboard } from '../../src/web/index.js';
import { tempDir } from '../setup/temp-registry.js';
import { fakeOps, request } from './fake-ops.js';

/**
 * The demo's dashboard (`blueprint --root .demo/root dashboard`, README): its login page and its
 * 401 said to run `blueprint dashboard url`, which acts on / and answers 'No dashboard is running on
 * /run/blueprint/dashboard.sock' (QA8's walk of the README). As every hint after --root, the command
 * now carries the root the dashboard serves; on a box (root /) it is unchanged.
 */
let dash: Dashboard;
beforeAll(async () => {
  dash = await startDashboard({
    runDir: path.join(tempDir('bp-web-'), 'run/blueprint'),
    ops: fakeOps(),
    gid: process.getgid?.() ?? 0,
  });
});
afterAll(async () => {
  carryRoot(undefined);
  await dash.close();
});

it('after --root DIR the login page and the 401 name `blueprint --root DIR dashboard url`', async () => {
  carryRoot({ root: '/srv/demo/root', typed: true });
  const page = await request(dash.socket, '/', { headers: { accept: 'text/html' } });
  expect(page.status).toBe(401);
  expect(page.body).toContain('blueprint --root /srv/demo/root dashboard url');
  const api = await request(dash.socket, '/services');
  expect(api.status).toBe(401);
  expect(api.body).toContain('blueprint --root /srv/demo/root dashboard url');
});

it('on the box itself (root /) they name `blueprint dashboard url`', async () => {
  carryRoot(undefined);
  const page = await request(dash.socket, '/', { headers: { accept: 'text/html' } });
  expect(page.body).toContain('<code>blueprint dashboard url</code>');
  const api = await request(dash.socket, '/services');
  expect(api.body).toContain('`blueprint dashboard url`');
});
