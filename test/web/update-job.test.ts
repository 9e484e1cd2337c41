/**
 * "Update and upgrade all…" as a job (test/web/update-reload.test.ts shows why), request by request
 * over the socket, a box in memory: an update that ended well is its plan (the job's page sends the
 * browser there, with no notice when every repository was updated); one that failed stays on its
 * page with the error and leads nowhere (it used to be a notice on Packages).
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Dashboard, issueLoginToken, startDashboard } from '../../src/web/index.js';
import { tempDir } from '../setup/temp-registry.js';
import { fakeOps, request } from './fake-ops.js';

let dash: Dashboard;
let fail = false;

beforeAll(async () => {
  dash = await startDashboard({
    runDir: path.join(tempDir('bp-web-update-job-'), 'run/blueprint'),
    ops: {
      ...fakeOps(),
      async refresh() {
        if (fail) throw Object.assign(new Error('the package lock is held'), { hint: 'Wait for bpkg.' });
        return [];
      },
    },
  });
});
afterAll(async () => {
  await dash.close();
});

const get = (p: string, cookie: string) => request(dash.socket, p, { headers: { cookie } });

async function updateJob(): Promise<{ cookie: string; job: string }> {
  const token = await issueLoginToken(dash.tokenDir);
  const cookie = String((await get(`/login?token=${token}`, '')).headers['set-cookie']?.[0]).split(';')[0]!;
  const csrf = (await get('/packages', cookie)).body.match(/name="_csrf" value="([^"]+)"/)![1]!;
  const r = await request(dash.socket, '/packages/update', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ _csrf: csrf }).toString(),
  });
  expect(r.status).toBe(303);
  const job = r.headers.location!;
  expect(job).toMatch(/^\/jobs\/[A-Za-z0-9_-]+$/);
  // The stream ends when the job does.
  await get(`${job}/events`, cookie);
  return { cookie, job };
}

it('an update that ended well is its plan, with no notice when every repository was updated', async () => {
  const { cookie, job } = await updateJob();
  const r = await get(job, cookie);
  expect(r.status).toBe(303);
  expect(r.headers.location).toBe(`/packages/upgrade?after=${job.slice('/jobs/'.length)}`);
  const plan = (await get(r.headers.location!, cookie)).body;
  expect(plan).toContain('Upgrade all?');
  expect(plan).not.toContain('flash');
});

it('a failed update stays on its page with the error, and leads nowhere', async () => {
  fail = true;
  const { cookie, job } = await updateJob();
  const r = await get(job, cookie);
  expect(r.status).toBe(200);
  expect(r.body).toContain('failed');
  expect(r.body).toContain('error: the package lock is held');
  expect(r.body).not.toContain('data-next');
});
