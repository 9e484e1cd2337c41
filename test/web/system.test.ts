// The dashboard's System page (issue 21) over its real unix socket, with the real `src/app`
// operations (appOps) against a real RAUC 1.8 service (test/update/rauc-sandbox.ts): both slots,
// an update from a file and from a repository (real OpenPGP), the way back; each change confirmed
// on its own page and POSTed with the session's CSRF token.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appOps } from '../../src/web/app-ops.js';
import { type Dashboard, issueLoginToken, startDashboard } from '../../src/web/index.js';
import { tempDir } from '../helpers/pkg.js';
import { RaucSandbox, raucMissing, updatesRepository } from '../update/rauc-sandbox.js';
import { request } from './fake-ops.js';

const missing = raucMissing();

describe.skipIf(missing)(
  `dashboard System page with real RAUC${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    const box = new RaucSandbox();
    const saved = process.env.DBUS_SYSTEM_BUS_ADDRESS;
    let dir: string;
    let dash: Dashboard;
    let cookie: string;
    let csrf: string;
    const get = (p: string) => request(dash.socket, p, { headers: { cookie } });
    const post = (p: string, form: Record<string, string>) =>
      request(dash.socket, p, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      });
    /** Follows a job page until it is done or failed; returns its lines. */
    async function finish(location: string): Promise<{ state: string; text: string }> {
      for (let i = 0; i < 200; i++) {
        const r = await get(location);
        const state = /data-testid="job-state">([a-z]+)</.exec(r.body)?.[1] ?? '';
        if (state !== 'running')
          return { state, text: /data-testid="progress">([^<]*)</.exec(r.body)?.[1] ?? '' };
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`job ${location} never finished`);
    }

    beforeAll(async () => {
      await box.start();
      process.env.DBUS_SYSTEM_BUS_ADDRESS = box.env.DBUS_SYSTEM_BUS_ADDRESS;
      dir = tempDir('bp-web-sys-');
      dash = await startDashboard({
        runDir: path.join(dir, 'run/blueprint'),
        ops: appOps(box.root),
        gid: process.getgid?.() ?? 0,
      });
      const token = await issueLoginToken(dash.tokenDir);
      const r = await request(dash.socket, `/login?token=${token}`);
      cookie = String(r.headers['set-cookie']?.[0]).split(';')[0]!;
      csrf = (await get('/system')).body.match(/name="_csrf" value="([^"]+)"/)![1]!;
    }, 60_000);
    afterAll(async () => {
      await dash?.close();
      process.env.DBUS_SYSTEM_BUS_ADDRESS = saved;
      await box.stop();
    });

    it('shows both slots: A running 1.0.0 and booting next, B never written', async () => {
      const r = await get('/system');
      expect(r.status).toBe(200);
      expect(r.body).toContain('<a href="/system" aria-current="page">System</a>');
      expect(r.body).toMatch(/data-testid="system-version">1\.0\.0</);
      expect(r.body).toMatch(/data-testid="slot-A">.*running, boots next/);
      expect(r.body).toMatch(/data-testid="slot-B">.*bad/);
    });

    it('installs a bundle file after its confirmation page; without the CSRF token nothing is written', async () => {
      const bundle = box.bundle('2.0.0');
      const confirm = await get(`/system/update?file=${encodeURIComponent(bundle)}`);
      expect(confirm.body).toContain('data-testid="system-confirm"');
      expect(confirm.body).toContain(`<input type="hidden" name="file" value="${bundle}">`);
      expect(confirm.body).toMatch(/written into slot B \(not running\)/);
      // The confirmation page alone changes nothing; a POST without the token is refused.
      expect(box.entries()).toEqual(['blueprint-a.conf']);
      const forged = await post('/system/update', { file: bundle });
      expect(forged.status).toBe(403);
      expect(box.entries()).toEqual(['blueprint-a.conf']);
      const r = await post('/system/update', { _csrf: csrf, file: bundle });
      expect(r.status).toBe(303);
      const job = await finish(String(r.headers.location));
      expect(job).toMatchObject({ state: 'done' });
      expect(job.text).toMatch(/Installed blueprintos-x86_64 2\.0\.0 into slot B/);
      expect(box.entries()).toEqual(['blueprint-a.conf', 'blueprint-b+3.conf']);
      expect((await get('/system')).body).toMatch(/data-testid="slot-B">.*boots next/);
    });

    it('rolls back after confirming: the pending update is cancelled', async () => {
      const confirm = (await get('/system/rollback')).body;
      expect(confirm).toContain('Cancel the pending update?');
      // In the console's words (present/update.ts rollbackLines), as one paragraph.
      expect(confirm).toMatch(
        /An update to slot B \(2\.0\.0 \(build \w+\)\) is pending: it is cancelled, and slot A, running now, boots next again\./,
      );
      const r = await post('/system/rollback', { _csrf: csrf });
      const job = await finish(String(r.headers.location));
      expect(job).toMatchObject({ state: 'done' });
      expect(job.text).toMatch(/Slot A .* boots next/);
      expect((await get('/system')).body).toMatch(/data-testid="slot-A">.*running, boots next/);
    });

    it('updates from a repository; a failure is shown with its reason', async () => {
      await updatesRepository(box, dir);
      const unknown = await finish(
        String((await post('/system/update', { _csrf: csrf, from: 'nowhere' })).headers.location),
      );
      expect(unknown).toMatchObject({ state: 'failed' });
      expect(unknown.text).toMatch(/no usable repository named nowhere/);
      expect((await get('/system/update?from=updates')).body).toMatch(/signed by a key of updates/);
      const job = await finish(
        String((await post('/system/update', { _csrf: csrf, from: 'updates' })).headers.location),
      );
      expect(job).toMatchObject({ state: 'done' });
      expect(job.text).toMatch(/From repository updates: package signed by/);
      expect(box.entries()).toEqual(['blueprint-a.conf', 'blueprint-b+3.conf']);
    });
  },
);
