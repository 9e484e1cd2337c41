/**
 * A service's Start, Stop or Restart reloaded while it runs, in Debian's Chromium. The POST waits
 * for the action (a start waits for the service's health check: up to its startTimeout, minutes
 * for a model loading), and its outcome reached the admin only as the POST's redirect. An admin who
 * reloaded the page meanwhile (nothing moves but a greyed-out button) got the service page with no
 * word of the start at all, and never learned its outcome, its error and hint included: the
 * redirect that carried it went to a request the browser had dropped.
 *
 * Now the service page shown while an action runs says so and follows it, and shows its outcome
 * (the lines, or the error with its hint) when it ends, and the next look at the page shows it
 * once more as the POST's notice would have; the POST that stays answers as before.
 * The real server and pages through a relay, a box in memory whose start ends when the test says.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DashboardOps } from '../../src/web/ops.js';
import { dashboardInBrowser, type InBrowser, runnable } from './browser-relay.js';
import { fakeOps } from './fake-ops.js';

let b: InBrowser;
let entered: () => void = () => {};
let finish: (outcome: string[] | Error) => void = () => {};

beforeAll(async () => {
  if (!runnable) return;
  const ops: DashboardOps = {
    ...fakeOps(),
    // The start runs until the test ends it.
    serviceAction: (_action, _name) =>
      new Promise<string[]>((resolve, reject) => {
        finish = (o) => (o instanceof Error ? reject(o) : resolve(o));
        entered();
      }),
  };
  b = await dashboardInBrowser(ops);
}, 120_000);

afterAll(async () => {
  await b?.close();
});

/**
 * The Start button clicked in the page, from a task of its own: puppeteer's click waits on input
 * events that a navigation held open (the POST's answer) can hold up, now and then for good.
 */
const clickStart = () =>
  b.page.evaluate(
    `setTimeout(() => document.querySelector('form[action="/services/hello/start"] button').click(), 0)`,
  );
const bodyText = () => b.page.evaluate('document.body.innerText') as Promise<string>;

it.skipIf(!runnable)(
  'shows a start reloaded mid-way as running, then its error and hint',
  async () => {
    const { page, base } = b;
    await page.goto(`${base}/services/hello`);
    const started = new Promise<void>((r) => (entered = r));
    // Start, then a reload while it runs (the POST's answer not come yet).
    await clickStart();
    await started;
    await page.reload();
    const during = await bodyText();
    finish(
      Object.assign(new Error('hello did not become healthy within 20s'), {
        hint: '`blueprint service logs hello` shows why',
      }),
    );
    await page.waitForFunction(
      `document.body.innerText.includes('hello did not become healthy within 20s') || !document.body.innerText.includes('Start hello: running')`,
      { timeout: 30_000 },
    );
    expect(during).toMatch(/Start hello: running/);
    const text = await bodyText();
    expect(text).toMatch(/Start hello: failed/);
    expect(text).toContain('hint: `blueprint service logs hello` shows why');
    // The POST the reload dropped had its outcome kept: the next look at the page shows it, once.
    await page.goto(`${base}/services/hello`);
    expect(await page.evaluate(`document.querySelector('.flash')?.textContent ?? ''`)).toContain(
      'hello did not become healthy within 20s',
    );
    expect(await bodyText()).not.toMatch(/Start hello: running/);
    await page.goto(`${base}/services/hello`);
    expect(await bodyText()).not.toContain('did not become healthy');
  },
  90_000,
);

it.skipIf(!runnable)(
  'a start whose POST is answered still ends on the page with its notice',
  async () => {
    const { page, base } = b;
    await page.goto(`${base}/services/hello`);
    const started = new Promise<void>((r) => (entered = r));
    const nav = page.waitForNavigation();
    await clickStart();
    await started;
    finish(['hello 1.0.0 started, healthy after 101 ms']);
    await nav;
    expect(page.url()).toMatch(/\/services\/hello\?notice=[A-Za-z0-9_-]{22}$/);
    const text = await bodyText();
    expect(text).toContain('hello 1.0.0 started, healthy after 101 ms');
    expect(text).not.toMatch(/Start hello: running/);
  },
  90_000,
);
