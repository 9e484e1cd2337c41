import http from 'node:http';
import type net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DashboardOps } from '../../src/web/ops.js';
import { dashboardInBrowser, type InBrowser, runnable } from './browser-relay.js';
import { fakeOps } from './fake-ops.js';

/**
 * Another page in the admin's browser on the same site: any other port of localhost or 127.0.0.1
 * (the admin's Portainer or Home Assistant tunnel, a dev server) is the same site as the forwarded
 * dashboard, so SameSite=Strict sends the session cookie with its requests. Its POSTs were refused
 * (Origin, Sec-Fetch-Site, the CSRF token), but its GETs were served: an <img> or a no-cors fetch of
 * /services/NAME/logs made the box follow a service's log (a `podman logs -f` each) for a page the
 * admin never opened, and any GET of it ran with the admin's session. Now a request whose
 * Sec-Fetch-Site names another site, same-site included, is refused unless it is the browser
 * opening a page (a link followed: Sec-Fetch-Mode navigate), before the session is looked at.
 */
let b: InBrowser;
let other: http.Server;
let otherBase = '';
const asked: string[] = [];

beforeAll(async () => {
  if (!runnable) return;
  const ops = fakeOps();
  const withRecord: DashboardOps = {
    ...ops,
    followLogs: (name, onLine, signal) => {
      asked.push(`logs ${name}`);
      return ops.followLogs(name, onLine, signal);
    },
    services: () => {
      asked.push('services');
      return ops.services();
    },
  };
  b = await dashboardInBrowser(withRecord);
  other = http.createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<img id=i src="${b.base}/services/hello/logs">
<script>
const done = (what) => (document.title += what + ' ');
document.getElementById('i').onerror = () => done('img');
fetch('${b.base}/services/hello/state', { mode: 'no-cors', credentials: 'include' }).then(() => done('fetch'), () => done('fetch'));
</script>`);
  });
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  otherBase = `http://127.0.0.1:${(other.address() as net.AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  other?.close();
  await b?.close();
});

it.skipIf(!runnable)(
  "serves another same-site page's requests nothing, its links still open pages",
  async () => {
    const { page, base } = b;
    // Logged in (the harness did), then a page of another port of the same host.
    asked.length = 0;
    await page.goto(otherBase);
    await page.waitForFunction(`document.title.includes('img') && document.title.includes('fetch')`, {
      timeout: 30_000,
    });
    expect(asked).toEqual([]);
    // A link from that page to the dashboard still opens it, logged in.
    await page.evaluate(
      `(() => { const a = document.createElement('a'); a.href = '${base}/services'; a.id = 'l'; a.textContent = 'dashboard'; document.body.append(a); })()`,
    );
    await Promise.all([page.waitForNavigation(), page.click('#l')]);
    expect(await page.evaluate('document.body.innerText')).toContain('hello');
    expect(asked).toEqual(['services']);
  },
  90_000,
);
