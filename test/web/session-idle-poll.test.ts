import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { type Dashboard, issueLoginToken, startDashboard } from '../../src/web/index.js';
import { SESSION_IDLE_MS } from '../../src/web/security.js';
import { tempDir } from '../setup/temp-registry.js';
import { fakeOps, request } from './fake-ops.js';

/**
 * The 1 hour idle limit of a session (docs/dashboard.md) against a tab left open. A service page's
 * script asks for the service's state every 2 seconds (GET /services/NAME/state), and each ask
 * counted as the admin's use: a browser left on a service page was never idle, and its session
 * lived the 12 hours of its maximum with no one at it. Now the poll is answered without keeping
 * the session alive; a page the admin opens, or a change, still does. The real server over its
 * socket, the clock moved by the test.
 */
let dash: Dashboard;
beforeAll(async () => {
  dash = await startDashboard({
    runDir: path.join(tempDir('bp-web-idle-'), 'run/blueprint'),
    ops: fakeOps(),
  });
});
afterAll(async () => {
  await dash.close();
});
afterEach(() => {
  vi.useRealTimers();
});

const get = (p: string, cookie: string) =>
  request(dash.socket, p, {
    headers: { cookie, accept: p.endsWith('/state') ? 'application/json' : 'text/html' },
  });

it('ends a session idle for an hour though its open service page polled the state', async () => {
  const r = await request(dash.socket, `/login?token=${await issueLoginToken(dash.tokenDir)}`);
  const cookie = String(r.headers['set-cookie']?.[0]).split(';')[0]!;
  vi.useFakeTimers({ toFake: ['Date'] });
  expect((await get('/services/hello', cookie)).status).toBe(200);
  // The tab stays open: a poll every few minutes of clock here stands for the page's every 2 s.
  for (let i = 0; i < 8; i++) {
    vi.setSystemTime(Date.now() + SESSION_IDLE_MS / 8);
    const poll = await get('/services/hello/state', cookie);
    if (i < 7) expect(poll.status).toBe(200);
  }
  // An hour and more since the admin last opened a page: logged out.
  vi.setSystemTime(Date.now() + 1);
  const after = await get('/services', cookie);
  expect(after.status).toBe(401);
  expect(after.body).toContain('You are not logged in.');
});

it('keeps a session the admin uses', async () => {
  const r = await request(dash.socket, `/login?token=${await issueLoginToken(dash.tokenDir)}`);
  const cookie = String(r.headers['set-cookie']?.[0]).split(';')[0]!;
  vi.useFakeTimers({ toFake: ['Date'] });
  for (let i = 0; i < 4; i++) {
    vi.setSystemTime(Date.now() + SESSION_IDLE_MS / 2);
    expect((await get('/services/hello', cookie)).status).toBe(200);
  }
});
