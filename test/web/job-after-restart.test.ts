/**
 * The dashboard ended while a package job ran (systemctl restart blueprint-web, a SIGKILL, the box
 * rebooted): jobs live in the dashboard's memory, so the job's page, reloaded once the dashboard is
 * back, said only 'No such job'. The admin could not tell why, nor where to learn whether the
 * install had happened. It now says the dashboard keeps no job from before its restart and where
 * to see what is installed. (The package database itself: an install the SIGKILL cut short is
 * undone by the next package command, as for `bpkg install` killed; a SIGTERM lets it finish.)
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { issueLoginToken, startDashboard } from '../../src/web/index.js';
import { tempDir } from '../setup/temp-registry.js';
import { fakeOps, request } from './fake-ops.js';

async function dashboard(runDir: string) {
  const dash = await startDashboard({ runDir, ops: fakeOps(), gid: process.getgid?.() ?? 0 });
  const token = await issueLoginToken(dash.tokenDir);
  const r = await request(dash.socket, `/login?token=${token}`);
  const cookie = String(r.headers['set-cookie']?.[0]).split(';')[0]!;
  const page = await request(dash.socket, '/services', { headers: { cookie } });
  const csrf = page.body.match(/name="_csrf" value="([^"]+)"/)?.[1] ?? '';
  return { dash, cookie, csrf };
}

describe("a job's page after the dashboard was restarted", () => {
  it('says the job is from before the restart and where to see what is installed', async () => {
    const runDir = path.join(tempDir('bp-web-restart-'), 'run/blueprint');
    const first = await dashboard(runDir);
    const posted = await request(first.dash.socket, '/packages/greet/install', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: first.cookie },
      body: new URLSearchParams({ _csrf: first.csrf }).toString(),
    });
    expect(posted.status).toBe(303);
    const job = String(posted.headers.location);
    expect(job).toMatch(/^\/jobs\//);
    await first.dash.close();

    const second = await dashboard(runDir);
    try {
      const page = await request(second.dash.socket, job, { headers: { cookie: second.cookie } });
      expect(page.status).toBe(404);
      expect(page.body).toContain('No such job');
      expect(page.body).toMatch(/restarted/);
      expect(page.body).toContain('/packages');
    } finally {
      await second.dash.close();
    }
  });
});
