/**
 * A dashboard on a real box, in Debian's Chromium, without sshd or Podman (the browser-layout and
 * browser-upgrade tests): the real server and pages on their unix socket, reached through a relay
 * on 127.0.0.1 that the test makes (as `ssh -L` does for an admin); the dashboard itself listens
 * on nothing else. Logged in with a one-time token, as an admin is.
 */
import { existsSync } from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { type Dashboard, issueLoginToken, startDashboard } from '../../src/web/index.js';
import type { DashboardOps } from '../../src/web/ops.js';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { tempDir } from '../helpers/pkg.js';
import { relayTo } from '../helpers/relay.js';

export const runnable = existsSync(CHROMIUM);

export interface InBrowser {
  base: string;
  page: Page;
  close(): Promise<void>;
}

export { relayTo };

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
