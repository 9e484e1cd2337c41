import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { carryRoot } from '../../src/present/root-in-hints.js';
import { type Dashboard, type DashboardOps, issueLoginToken, startDashboard } from '../../src/web/index.js';
import { tempDir } from '../setup/temp-registry.js';
import { fakeOps, request } from './fake-ops.js';

/** The error every failing action throws: its hint names a command, which must carry the root. */
export const broken = Object.assign(new Error('no service Bad_Name'), {
  hint: '`blueprint service list` shows the installed services.',
  exitCode: 3,
});

/**
 * A logged-in dashboard (fake ops) serving `root`, as `blueprint --root ROOT dashboard` does, with
 * every place a page names a command: not set up yet, the service page's sandbox text, a service
 * other than hello and every service action failing with `broken`, a package action failing after
 * a warning line. No model, token or key (`ops` replaces any of these). Started in beforeAll,
 * closed in afterAll; the fields are set once beforeAll has run.
 */
export function rootedDashboard(
  root: string,
  tempPrefix: string,
  ops: (fake: ReturnType<typeof fakeOps>) => Partial<DashboardOps> = () => ({}),
) {
  const page = {
    dash: undefined as unknown as Dashboard,
    cookie: '',
    csrf: '',
    get: (p: string) =>
      request(page.dash.socket, p, { headers: { cookie: page.cookie, accept: 'text/html' } }),
    /** A GET with the session's cookie and no Accept (a job's events, an asset). */
    read: (p: string) => request(page.dash.socket, p, { headers: { cookie: page.cookie } }),
    post: (p: string, form: Record<string, string>) =>
      request(page.dash.socket, p, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: page.cookie },
        body: new URLSearchParams(form).toString(),
      }),
  };
  beforeAll(async () => {
    const fake = fakeOps();
    page.dash = await startDashboard({
      runDir: path.join(tempDir(tempPrefix), 'run/blueprint'),
      ops: {
        ...fake,
        overview: async () => ({ ...(await fake.overview()), setupDone: false }),
        models: async () => ({ rows: [], defaultLine: 'none' }),
        tokens: async () => [],
        keys: async () => [],
        service: async (name) => {
          if (name !== 'hello') throw broken;
          return {
            ...(await fake.service(name)),
            inspection: ['Not running: `blueprint service start hello` starts it.'],
          };
        },
        serviceAction: async () => {
          throw broken;
        },
        packageAction: async (_a, _n, progress) => {
          progress('warning: the index is old: `bpkg update` fetches it');
          throw broken;
        },
        ...ops(fake),
      },
    });
    const r = await request(page.dash.socket, `/login?token=${await issueLoginToken(page.dash.tokenDir)}`);
    page.cookie = String(r.headers['set-cookie']?.[0]).split(';')[0]!;
    page.csrf = (await page.get('/services')).body.match(/name="_csrf" value="([^"]+)"/)![1]!;
    carryRoot({ root, typed: true });
  });
  afterAll(async () => {
    carryRoot(undefined);
    await page.dash.close();
  });
  return page;
}
