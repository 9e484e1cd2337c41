/**
 * A dashboard on a real box, in Debian's Chromium, without sshd or Podman (the browser-layout and
 * browser-upgrade tests): the real server and pages on their unix socket, reached through a relay
 * on 127.0.0.1 that the test makes (as `ssh -L` does for an admin); the dashboard itself listens
 * on nothing else. Logged in with a one-time token, as an admin is.
 */
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { type Dashboard, issueLoginToken, startDashboard } from '../../src/web/index.js';
import type { DashboardOps } from '../../src/web/ops.js';
import { tempDir } from '../helpers/pkg.js';
import { launchChromium } from './dashboard-harness.js';

const CHROMIUM = '/usr/bin/chromium';
export const runnable = existsSync(CHROMIUM);

export interface InBrowser {
  base: string;
  page: Page;
  close(): Promise<void>;
}

/**
 * A relay from 127.0.0.1 to a unix socket, as `ssh -L` is for an admin: when one side's connection
 * closes, the other's is closed once what was relayed to it is written. pipe() alone only ends the
 * browser's side: Chromium still sending a body the dashboard refused (an upload: the answer is
 * sent with the connection closed, the rest unread) reads the answer only once its send fails, and
 * a relay that stopped reading without closing left the XHR waiting for ever
 * (browser-relay.test.ts).
 */
export function relayTo(socketPath: string): net.Server {
  return net.createServer((c) => {
    const s = net.connect(socketPath);
    c.pipe(s).pipe(c);
    c.on('error', () => s.destroy());
    s.on('error', () => c.destroy());
    s.on('close', () => c.end(() => c.destroy()));
    c.on('close', () => s.end(() => s.destroy()));
  });
}

export async function dashboardInBrowser(ops: DashboardOps): Promise<InBrowser> {
  const dash: Dashboard = await startDashboard({
    runDir: path.join(tempDir('bp-web-browser-'), 'run/blueprint'),
    ops,
  });
  const relay = relayTo(dash.socket);
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(relay.address() as net.AddressInfo).port}`;
  const browser: Browser = await launchChromium(tempDir('bp-web-browser-chromium-'));
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  await page.goto(`${base}/login?token=${await issueLoginToken(dash.tokenDir)}`);
  return {
    base,
    page,
    async close() {
      await browser.close();
      relay.close();
      await dash.close();
    },
  };
}
