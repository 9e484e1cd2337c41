import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Dashboard, issueLoginToken, startDashboard } from '../../src/web/index.js';
import { tempDir } from '../setup/temp-registry.js';
import { fakeOps, request } from './fake-ops.js';

/**
 * A link whose path has a broken %-escape (`/services/%E0%A4%A`, a link cut short when copied):
 * every page decoding a name from the path answered 500 'Error: URI malformed', JavaScript's words
 * as a server error, with nothing to do next. It is the link that is wrong: 400, saying so, with
 * where to go, and no change made.
 */
let dash: Dashboard;
const ops = fakeOps();
beforeAll(async () => {
  dash = await startDashboard({
    runDir: path.join(tempDir('bp-web-'), 'run/blueprint'),
    ops,
    gid: process.getgid?.() ?? 0,
  });
});
afterAll(() => dash.close());

it('a path with a broken %-escape is a bad link (400) with the way on, not a 500', async () => {
  const token = await issueLoginToken(dash.tokenDir);
  const login = await request(dash.socket, `/login?token=${token}`);
  const cookie = String(login.headers['set-cookie']?.[0]).split(';')[0]!;
  const page = await request(dash.socket, '/services', { headers: { cookie } });
  const csrf = page.body.match(/name="_csrf" value="([^"]+)"/)![1]!;
  for (const p of ['/services/%E0%A4%A', '/packages/%ZZ/install', '/jobs/%', '/services/%E0/logs']) {
    const r = await request(dash.socket, p, { headers: { cookie, accept: 'text/html' } });
    expect(r.status, p).toBe(400);
    expect(r.body, p).not.toContain('URI malformed');
    expect(r.body, p).toContain('malformed %-escape');
  }
  const post = await request(dash.socket, '/services/%E0%A4%A/start', {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf }).toString(),
  });
  expect(post.status).toBe(400);
  expect(ops.calls).toEqual([]);
});
