import type net from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Dashboard, issueLoginToken, startDashboard } from '../../src/web/index.js';
import { tempDir } from '../helpers/pkg.js';
import { relayTo } from '../helpers/relay.js';
import { runnable } from './browser-relay.js';
import { launchChromium } from './dashboard-harness.js';
import { fakeOps } from './fake-ops.js';

/**
 * A job's page whose connection dropped (the SSH tunnel over a home network's Wi-Fi, re-run). The
 * browser's EventSource connects again by itself, and the server sends the job's lines from the
 * first (a service's log: its last 200 lines): the page added them below those it had, so every
 * line stood twice and the progress read as run twice. Now a stream that connects again starts its
 * text afresh. In Chromium, through a relay to the socket that the test cuts, as a tunnel drops.
 */
let dash: Dashboard;
let browser: Browser;
let page: Page;
let base = '';
const links = new Set<net.Socket>();
let replayed: () => void = () => {};
let cut = false;
let finish: () => void = () => {};

beforeAll(async () => {
  if (!runnable) return;
  dash = await startDashboard({
    runDir: path.join(tempDir('bp-web-reconnect-'), 'run/blueprint'),
    ops: {
      ...fakeOps(),
      packageAction: async (_a, name, progress) => {
        progress(`download ${name}`);
        progress(`verify ${name}`);
        await new Promise<void>((r) => (finish = r));
        progress(`installed ${name} 1.0.0`);
      },
    },
  });
  const relay = relayTo(dash.socket, (c, s) => {
    links.add(c);
    c.on('close', () => links.delete(c));
    // After the cut: the server's answer to the stream's new request, its lines sent again.
    s.on('data', (d) => {
      if (cut && String(d).includes('data: verify greet')) replayed();
    });
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(relay.address() as net.AddressInfo).port}`;
  browser = await launchChromium(tempDir('bp-web-reconnect-chromium-'));
  page = await browser.newPage();
  await page.goto(`${base}/login?token=${await issueLoginToken(dash.tokenDir)}`);
}, 120_000);

afterAll(async () => {
  finish();
  await browser?.close();
  await dash?.close();
});

it.skipIf(!runnable)(
  'shows each line of a job once after its stream connected again',
  async () => {
    await page.goto(`${base}/packages/greet/install`);
    await Promise.all([
      page.waitForNavigation(),
      page.evaluate(
        `setTimeout(() => document.querySelector('form[action="/packages/greet/install"] button').click(), 0)`,
      ),
    ]);
    const progress = () => page.evaluate(`document.querySelector('[data-testid=progress]').textContent`);
    await page.waitForFunction(
      `document.querySelector('[data-testid=progress]').textContent.includes('verify greet')`,
    );
    // The tunnel drops: every connection cut; the browser connects again by itself.
    const again = new Promise<void>((r) => (replayed = r));
    cut = true;
    for (const c of links) c.destroy();
    await again;
    finish();
    await page.waitForFunction(`document.querySelector('[data-testid=job-state]').textContent === 'done'`, {
      timeout: 30_000,
    });
    expect(await progress()).toBe('download greet\nverify greet\ninstalled greet 1.0.0\n');
  },
  90_000,
);
