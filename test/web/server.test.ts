import { lstat, readdir, utimes } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, issueLoginToken, startDashboard } from '../../src/web/index.js';
import { until } from '../helpers/until.js';
import { tempDir } from '../setup/temp-registry.js';
import { type Answer, fakeOps, request } from './fake-ops.js';

/**
 * The dashboard's server against a box in memory, over its real unix socket: who gets in, what
 * is refused, and that outside text never becomes markup. The browser tests (browser-*.test.ts)
 * do the same through SSH and Chromium against a real box.
 */
let dir: string;
let dash: Dashboard;
const ops = fakeOps();

beforeAll(async () => {
  dir = tempDir('bp-web-');
  dash = await startDashboard({ runDir: path.join(dir, 'run/blueprint'), ops, gid: process.getgid?.() ?? 0 });
});
afterAll(async () => {
  await dash.close();
});

const get = (p: string, headers: Record<string, string> = {}) => request(dash.socket, p, { headers });
const post = (p: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
  request(dash.socket, p, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });

async function login(): Promise<{ cookie: string; csrf: string }> {
  const token = await issueLoginToken(dash.tokenDir);
  const r = await get(`/login?token=${token}`);
  expect(r.status).toBe(303);
  const cookie = String(r.headers['set-cookie']?.[0]).split(';')[0]!;
  const page = await get('/services', { cookie });
  const csrf = page.body.match(/name="_csrf" value="([^"]+)"/)?.[1];
  expect(csrf).toBeTruthy();
  return { cookie, csrf: csrf! };
}

describe('the dashboard server', () => {
  it('listens on a unix socket only, mode 0660, and keeps tokens in a 0700 folder', async () => {
    expect(typeof dash.server.address()).toBe('string');
    const st = await lstat(dash.socket);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o660);
    expect((await lstat(dash.tokenDir)).mode & 0o777).toBe(0o700);
  });

  it('without a session: 401 for pages and for changes', async () => {
    expect((await get('/')).status).toBe(401);
    expect((await get('/services/hello/logs')).status).toBe(401);
    expect((await post('/services/hello/start', {})).status).toBe(401);
    expect((await get('/', { cookie: 'bp_session=guess' })).status).toBe(401);
    expect(ops.calls).toEqual([]);
  });

  it('a login token works once, becomes an HttpOnly SameSite=Strict cookie, and expires', async () => {
    const token = await issueLoginToken(dash.tokenDir);
    const r = await get(`/login?token=${token}`);
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/');
    const cookie = String(r.headers['set-cookie']?.[0]);
    expect(cookie).toMatch(/^bp_session=[A-Za-z0-9_-]{43}; /);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
    expect((await get('/', { cookie: cookie.split(';')[0]! })).status).toBe(200);
    expect((await get(`/login?token=${token}`)).status).toBe(401);
    // Only the token's hash was on disk, and it is gone.
    expect(await readdir(dash.tokenDir)).not.toContain(token);
    const old = await issueLoginToken(dash.tokenDir);
    const files = await readdir(dash.tokenDir);
    const past = new Date(Date.now() - 11 * 60_000);
    for (const f of files) await utimes(path.join(dash.tokenDir, f), past, past);
    expect((await get(`/login?token=${old}`)).status).toBe(401);
  });

  it('refuses a Host that is not the loopback (DNS rebinding), even with a session', async () => {
    const { cookie } = await login();
    for (const host of [
      'evil.example:8080',
      'localhost.evil.example',
      '10.0.0.5:8080',
      'localhost:8080@evil',
    ])
      expect((await get('/', { host, cookie })).status, host).toBe(421);
    for (const host of ['localhost:8080', '127.0.0.1:18080', '[::1]:8080', 'localhost'])
      expect((await get('/', { host, cookie })).status, host).toBe(200);
  });

  it('refuses a change without the CSRF token, or from another origin (403)', async () => {
    const { cookie, csrf } = await login();
    expect((await post('/services/hello/start', {}, { cookie })).status).toBe(403);
    expect((await post('/services/hello/start', { _csrf: 'x'.repeat(csrf.length) }, { cookie })).status).toBe(
      403,
    );
    const other = await login();
    expect((await post('/services/hello/start', { _csrf: other.csrf }, { cookie })).status).toBe(403);
    const crossSite = { cookie, origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' };
    expect((await post('/services/hello/start', { _csrf: csrf }, crossSite)).status).toBe(403);
    expect(ops.calls).toEqual([]);
    const ok = await post(
      '/services/hello/start',
      { _csrf: csrf },
      { cookie, origin: 'http://localhost:8080' },
    );
    expect(ok.status).toBe(303);
    expect(ops.calls).toEqual(['start hello']);
  });

  it('sends a strict CSP and has no inline script or style to need a looser one', async () => {
    const { cookie } = await login();
    for (const p of ['/', '/services', '/services/hello', '/packages', '/gpu', '/keys', '/audit']) {
      const r = await get(p, { cookie });
      expect(r.status, p).toBe(200);
      const csp = String(r.headers['content-security-policy']);
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.body).not.toMatch(/<script(?![^>]*\bsrc=)/);
      expect(r.body).not.toMatch(/<[^>]*\son[a-z]+=/i);
      expect(r.body).not.toMatch(/<[^>]*\sstyle=/i);
      expect(r.body).not.toMatch(/(src|href|action)="(https?:)?\/\//);
    }
  });

  it('escapes text from repositories, keys and containers', async () => {
    const { cookie } = await login();
    for (const p of ['/packages', '/keys', '/services/hello', '/packages/greet/install']) {
      const r = await get(p, { cookie });
      expect(r.body, p).not.toContain('<img');
      expect(r.body, p).not.toContain('\x1b');
      expect(r.body, p).toContain('&lt;img src=x onerror=alert(1)&gt;\\x1b]0;owned\\x07&quot;&#39;');
    }
  });

  it('streams logs as server-sent events, one data line per line (no event injection)', async () => {
    const { cookie } = await login();
    const text = await new Promise<string>((resolve, reject) => {
      const req = http.get(
        {
          socketPath: dash.socket,
          path: '/services/hello/logs',
          headers: { host: 'localhost:8080', cookie },
        },
        (res) => {
          expect(res.headers['content-type']).toContain('text/event-stream');
          let got = '';
          res.on('data', (c) => {
            got += c;
            if (got.includes('owned')) {
              req.destroy();
              resolve(got);
            }
          });
        },
      );
      req.on('error', reject);
    });
    expect(text).toContain('data: first line\n\n');
    expect(text).not.toMatch(/^event: end/m);
    expect(text).toContain('data: event: end\n\n');
    // The browser went away: the log is no longer followed.
    await until('the log unfollowed', () => ops.calls.includes('logs closed')); // before: at most 1 s
    expect(ops.calls).toContain('logs closed');
  });

  it('answers 404 for an unknown service (exit code 3 in the CLI)', async () => {
    const { cookie } = await login();
    const r = await get('/services/nope', { cookie });
    expect(r.status).toBe(404);
    expect(r.body).toContain('no service nope');
  });

  it('runs a package action as a job whose progress can be followed', async () => {
    const { cookie, csrf } = await login();
    const r: Answer = await post('/packages/greet/install', { _csrf: csrf }, { cookie });
    expect(r.status).toBe(303);
    expect(r.headers.location).toMatch(/^\/jobs\//);
    const events = await get(`${r.headers.location}/events`, { cookie });
    expect(events.body).toContain('data: fetch greet');
    expect(events.body).toContain('event: end\ndata: done');
    expect(ops.calls).toContain('install greet');
  });

  it("shows a finished job's whole progress in its page, not 'done' over a log still to be streamed", async () => {
    const { cookie, csrf } = await login();
    const r: Answer = await post('/packages/greet/install', { _csrf: csrf }, { cookie });
    const job = String(r.headers.location);
    await get(`${job}/events`, { cookie }); // the stream closes when the job ends
    const page = (await get(job, { cookie })).body;
    expect(page).toContain('data-testid="job-state">done<');
    expect(page).toMatch(/<pre class="log"[^>]*data-testid="progress">fetch greet<\/pre>/);
    expect(page).not.toContain('data-stream=');
    expect(page).toMatch(/<p data-when-done>/);
  });
});
