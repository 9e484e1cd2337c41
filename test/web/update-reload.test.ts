/**
 * "Update and upgrade all…" reloaded while the update runs (QA17's finding left open). The button
 * was a POST that waited for `bpkg update` (the network, every repository) before it answered
 * with the plan: a reload meanwhile gave the Packages page again, and the plan, with the names of
 * the repositories that could not be updated, was never shown. Now the update is a job like an
 * install: its page comes at once and survives a reload, and when it ends the browser goes on to
 * the plan, which names the repositories not updated. In Chromium, through a relay to the socket;
 * the box in memory holds its update until the test lets it end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardInBrowser, type InBrowser, runnable } from './browser-relay.js';
import { fakeOps } from './fake-ops.js';

let b: InBrowser;
let release: () => void = () => {};
let called: () => void = () => {};
const refreshCalled = new Promise<void>((r) => (called = r));
const NOT_UPDATED = 'broken: not updated (connection refused); its last verified index is used';

beforeAll(async () => {
  if (!runnable) return;
  const ops = fakeOps();
  b = await dashboardInBrowser({
    ...ops,
    async refresh() {
      called();
      await new Promise<void>((r) => (release = r));
      return [NOT_UPDATED];
    },
  });
}, 120_000);

afterAll(async () => {
  release();
  await b?.close();
});

const mainText = async () => String(await b.page.evaluate(`document.querySelector('main').innerText`));

describe.skipIf(!runnable)('update and upgrade all, reloaded', () => {
  it('keeps the update on a page of its own across a reload, then shows the plan', async () => {
    await b.page.goto(`${b.base}/packages`);
    const answered = b.page.waitForResponse((r) => r.url().endsWith('/packages/update'));
    await b.page.evaluate(
      `setTimeout(() => document.querySelector('form[action="/packages/update"] button').click(), 0)`,
    );
    // The POST is answered while the update still runs (held by the test): before, it was
    // answered only once the update had ended, and a reload meanwhile gave /packages again.
    await refreshCalled;
    await answered;
    await b.page.waitForFunction(`location.pathname.startsWith('/jobs/')`);
    await b.page.reload();
    expect(new URL(b.page.url()).pathname).toMatch(/^\/jobs\//);
    expect(await mainText()).toContain('Update and upgrade all: running');
    const job = b.page.url();

    // The update ends: the browser goes on to the plan, the repository not updated named above it.
    await Promise.all([b.page.waitForNavigation(), release()]);
    expect(new URL(b.page.url()).pathname).toBe('/packages/upgrade');
    const text = await mainText();
    expect(text).toContain(NOT_UPDATED);
    expect(text).toMatch(/greet\s+1\.0\.0 -> 2\.0\.0/);
    // Its page, looked at again once it ended, is the plan (in the job page's place in the history).
    await b.page.goto(job);
    expect(new URL(b.page.url()).pathname).toBe('/packages/upgrade');
    expect(await mainText()).toContain(NOT_UPDATED);
  });
});
