import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Dashboard, issueLoginToken, startDashboard } from '../../src/web/index.js';
import { COOKIE, SESSION_IDLE_MS, type Session, Sessions } from '../../src/web/security.js';
import { tempDir } from '../setup/temp-registry.js';
import { fakeOps, request } from './fake-ops.js';

/**
 * A dashboard runs for months. Before, a session was removed only when its own cookie came back
 * after it had expired, or at logout: a browser closed without logging out, or each login of a
 * script, stayed in the server's memory for good. Now expired sessions are dropped whenever a
 * request or login comes, and there are at most `maxSessions` of them: a login beyond that drops
 * the one idle the longest, whose next request gets the logged-out answer.
 */
const asked = (s: Session) => ({ headers: { cookie: `${COOKIE}=${s.id}` } }) as IncomingMessage;

afterEach(() => {
  vi.useRealTimers();
});

describe('Sessions', () => {
  it('drops sessions idle too long without their cookie coming back', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const sessions = new Sessions({ max: 100 });
    for (let i = 0; i < 5; i++) sessions.create();
    expect(sessions.size).toBe(5);
    vi.setSystemTime(Date.now() + SESSION_IDLE_MS + 1);
    const fresh = sessions.create();
    expect(sessions.size).toBe(1);
    expect(sessions.fromRequest(asked(fresh))).toBe(fresh);
  });

  it('keeps at most `max`: a login beyond that drops the one idle the longest', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const sessions = new Sessions({ max: 3 });
    const [a, b, c] = [sessions.create(), sessions.create(), sessions.create()];
    vi.setSystemTime(Date.now() + 1000);
    expect(sessions.fromRequest(asked(a))).toBe(a); // a was used last: b is now idle the longest
    const d = sessions.create();
    expect(sessions.size).toBe(3);
    expect(sessions.fromRequest(asked(b))).toBeUndefined();
    for (const s of [a, c, d]) expect(sessions.fromRequest(asked(s))).toBe(s);
  });
});

describe('the dashboard with a bound on its sessions', () => {
  let dash: Dashboard;
  beforeAll(async () => {
    dash = await startDashboard({
      runDir: path.join(tempDir('bp-web-sessions-'), 'run/blueprint'),
      ops: fakeOps(),
      gid: process.getgid?.() ?? 0,
      maxSessions: 2,
    });
  });
  afterAll(async () => {
    await dash.close();
  });

  const page = (cookie: string) => request(dash.socket, '/', { headers: { cookie, accept: 'text/html' } });
  async function login(): Promise<string> {
    const r = await request(dash.socket, `/login?token=${await issueLoginToken(dash.tokenDir)}`);
    expect(r.status).toBe(303);
    return String(r.headers['set-cookie']?.[0]).split(';')[0]!;
  }

  it('a login beyond the bound logs out the session idle the longest; its page says so', async () => {
    const a = await login();
    const b = await login();
    expect((await page(b)).status).toBe(200);
    expect((await page(a)).status).toBe(200); // a used last: b is idle the longest
    const c = await login();
    const out = await page(b);
    expect(out.status).toBe(401);
    expect(out.body).toContain('You are not logged in.');
    expect(out.body).toContain('blueprint dashboard url');
    expect((await page(a)).status).toBe(200);
    expect((await page(c)).status).toBe(200);
  });
});
