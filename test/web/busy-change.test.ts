import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Dashboard, issueLoginToken, startDashboard } from '../../src/web/index.js';
import { tempDir } from '../setup/temp-registry.js';
import { fakeOps, request } from './fake-ops.js';

/**
 * A change asked for while another one runs. The dashboard runs one package or system change at a
 * time, and sent a second POST (Remove hello, Update and upgrade all…, Install another) to the
 * running job's page, which is titled with the other change: nothing said that the change asked
 * for was not made, so the admin, seeing a job end 'done', took their removal for done. Now that
 * page carries a notice: what was not started, why, and to ask again when the running one ends.
 * The real server over its socket, a box in memory whose install runs until the test ends it.
 */
let dash: Dashboard;
let finish: () => void = () => {};
const ops = fakeOps();

beforeAll(async () => {
  dash = await startDashboard({
    runDir: path.join(tempDir('bp-web-busy-'), 'run/blueprint'),
    ops: {
      ...ops,
      packages: async () => [
        { name: 'greet', version: '1.0.0', installed: false, summary: 's', origin: 'main' },
        { name: 'hello', version: '1.0.0', installed: true, summary: 's', origin: 'main' },
      ],
      packageAction: (action, name) =>
        action === 'install' && name === 'greet'
          ? new Promise<void>((r) => (finish = r))
          : ops.packageAction(action, name, () => {}, new AbortController().signal),
    },
  });
});
afterAll(async () => {
  finish();
  await dash.close();
});

const get = (p: string, cookie: string) => request(dash.socket, p, { headers: { cookie } });
const post = (p: string, form: Record<string, string>, cookie: string) =>
  request(dash.socket, p, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams(form).toString(),
  });

it('says on the running job page that the change asked for was not started', async () => {
  const token = await issueLoginToken(dash.tokenDir);
  const cookie = String((await get(`/login?token=${token}`, '')).headers['set-cookie']?.[0]).split(';')[0]!;
  const csrf = (await get('/packages', cookie)).body.match(/name="_csrf" value="([^"]+)"/)![1]!;
  const install = await post('/packages/greet/install', { _csrf: csrf, plan: 'plan-1' }, cookie);
  expect(install.status).toBe(303);
  const job = install.headers.location!;
  expect(job).toMatch(/^\/jobs\/[A-Za-z0-9_-]+$/);

  for (const [what, form] of [
    ['/packages/hello/remove', 'Remove hello'],
    ['/packages/update', 'Update and upgrade all'],
  ] as const) {
    const r = await post(what, { _csrf: csrf }, cookie);
    expect(r.status).toBe(303);
    expect(r.headers.location).toMatch(new RegExp(`^${job}\\?notice=[A-Za-z0-9_-]{22}$`));
    const page = (await get(r.headers.location!, cookie)).body;
    expect(page).toContain('Install greet: <strong');
    expect(page).toContain(`${form} was not started: Install greet is running (below)`);
  }
  // Nothing of either was done.
  expect(ops.calls).not.toContain('remove hello');
  expect(ops.calls).not.toContain('update');
});
