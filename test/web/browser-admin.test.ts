import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import {
  env,
  freePort,
  jobEnded,
  runnable,
  setUpDashboard,
  shot as shotOf,
  textOf as textIn,
  viaTunnel as through,
  waitFor,
} from './dashboard-harness.js';

/**
 * What an admin does in the dashboard, through the SSH tunnel in Debian's Chromium
 * (dashboard-harness.ts): logs in with the printed token, installs the hello module from a signed
 * repository (real Podman), starts it, watches its log lines arrive, stops it, checks for upgrades and removes
 * it; the page works at phone width and from the keyboard, and a cross-site POST is refused. The
 * tests run in order: each starts where the one before left the box.
 */
const d = setUpDashboard({ repository: true, browser: true });
const textOf = (sel: string) => textIn(d.page, sel);
const shot = (name: string) => shotOf(d.page, name);
const viaTunnel = (p: string, o?: Parameters<typeof through>[2]) => through(d.port, p, o);
const waitUntil = (expr: string, timeout: number) => d.page.waitForFunction(expr, { timeout });

describe.skipIf(!runnable)('the web dashboard in Chromium, as an admin uses it', () => {
  it('logs in with the one-time token and shows the overview', async () => {
    const { page, loginUrl } = d;
    await page.goto(loginUrl);
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await textOf('h1')).toBe('Overview');
    expect(await page.content()).toContain('box-web');
    const cookie = (await page.cookies()).find((c) => c.name === 'bp_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    await shot('overview');
    // The token is spent.
    expect((await viaTunnel(new URL(loginUrl).pathname + new URL(loginUrl).search)).status).toBe(401);
  });

  it('`blueprint dashboard url` gives a fresh one-time link to the running dashboard', async () => {
    const r = await run(['--root', d.root, '--json', 'dashboard', 'url', '--port', String(d.port)], { env });
    expect(r.code, r.stderr).toBe(0);
    const url = new URL(JSON.parse(r.stdout).url);
    expect(url.host).toBe(`localhost:${d.port}`);
    const first = await viaTunnel(url.pathname + url.search);
    expect(first.status).toBe(303);
    expect((await viaTunnel(url.pathname + url.search)).status).toBe(401);
  });

  it('installs the hello module, showing its signer and origin, with progress', async () => {
    const { page, port, pkg } = d;
    await page.goto(`http://localhost:${port}/packages?q=${pkg}`);
    expect(await page.$(`a[href="/packages/${pkg}/install"]`), await page.content()).not.toBeNull();
    await shot('packages');
    await Promise.all([page.waitForNavigation(), page.click(`a[href="/packages/${pkg}/install"]`)]);
    const confirm = await page.content();
    expect(confirm).toMatch(/<dt>Origin<\/dt><dd>main<\/dd>/);
    expect(confirm).toContain(d.fingerprint.toUpperCase());
    await shot('confirm');
    await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
    expect(page.url(), await page.content()).toMatch(/\/jobs\//);
    const { state, progress } = await jobEnded(page, 180_000);
    expect(state, progress).toBe('done');
    expect(progress).toContain('verified: signed by');
    await shot('install');
  }, 240_000);

  it('starts the service, streams its log live, stops it and shows the state change', async () => {
    const { page, port, pkg } = d;
    await page.goto(`http://localhost:${port}/services/${pkg}`);
    await Promise.all([page.waitForNavigation(), page.click(`form[action="/services/${pkg}/start"] button`)]);
    await waitUntil(`document.querySelector('[data-testid=state]')?.textContent === 'running'`, 60_000);
    const log = async () => textOf('[data-testid=log]').then((t) => t ?? '');
    await waitFor('the listening line in the live log', async () =>
      (await log()).includes('hello: listening on'),
    );
    // A request to the service, after the page opened: its log line arrives on the open stream.
    const svcSock = path.join(d.root, 'run/blueprint/services', pkg, 'hello.sock');
    await new Promise<void>((resolve, reject) => {
      http
        .get({ socketPath: svcSock, path: '/' }, (res) => res.resume().on('end', resolve))
        .on('error', reject);
    });
    await waitFor('the request line in the live log', async () =>
      (await log()).includes('hello: request GET / '),
    );
    expect(await page.content()).toMatch(/Security rating/);
    await shot('service');
    await Promise.all([page.waitForNavigation(), page.click(`form[action="/services/${pkg}/stop"] button`)]);
    await waitUntil(`document.querySelector('[data-testid=state]')?.textContent !== 'running'`, 30_000);
    expect(await textOf('[data-testid=state]')).toMatch(/exited|stopped/);
    expect(await page.$(`form[action="/services/${pkg}/start"]`)).not.toBeNull();
  }, 180_000);

  it('is readable at phone width and usable from the keyboard', async () => {
    const { page, port } = d;
    await page.setViewport({ width: 390, height: 844 });
    await page.goto(`http://localhost:${port}/services`);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot('phone');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Overview');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    expect(await textOf('h1')).toBe('Overview');
    await page.setViewport({ width: 1280, height: 800 });
  });

  it('refuses a cross-site form POST (403), and a POST without the CSRF token (403)', async () => {
    const { page, port, pkg } = d;
    // An attacker's page on another origin the admin has open, posting to the forwarded port.
    const evilPort = await freePort();
    const evil = http
      .createServer((_req, res) => {
        res.setHeader('content-type', 'text/html');
        res.end(
          `<form id=f method=post action="http://localhost:${port}/services/${pkg}/start"><input name=x value=1></form><script>document.getElementById('f').submit()</script>`,
        );
      })
      .listen(evilPort, '127.0.0.1');
    d.cleanups.push(() => evil.close());
    const attacker = await d.browser.newPage();
    const answer = new Promise<number>((resolve) =>
      attacker.on('response', (r) => {
        if (r.url().includes(`/services/${pkg}/start`)) resolve(r.status());
      }),
    );
    await attacker.goto(`http://127.0.0.1:${evilPort}/`);
    expect(await answer).toBe(403);
    await attacker.close();
    // With the admin's own cookie (as a local program could send it) but no CSRF token.
    const cookie = (await page.cookies()).find((c) => c.name === 'bp_session')!;
    const r = await viaTunnel(`/services/${pkg}/start`, {
      method: 'POST',
      headers: { cookie: `bp_session=${cookie.value}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'x=1',
    });
    expect(r.status).toBe(403);
    expect(
      await page.goto(`http://localhost:${port}/services/${pkg}`).then(() => textOf('[data-testid=state]')),
    ).not.toBe('running');
  });

  it('checks for upgrades (nothing newer) and removes the module from the packages page', async () => {
    const { page, port, pkg } = d;
    await page.goto(`http://localhost:${port}/packages`);
    // The indexes updated (a job, whose page goes on by itself), then the plan to confirm: here
    // there is none.
    const plan = page.waitForResponse((r) => new URL(r.url()).pathname === '/packages/upgrade');
    await page.click('form[action="/packages/update"] button');
    await plan;
    await page.waitForFunction(
      `location.pathname === '/packages/upgrade' && document.readyState === 'complete'`,
    );
    expect(await textOf('main')).toContain('Nothing to upgrade');
    await page.goto(`http://localhost:${port}/packages?q=${pkg}`);
    await Promise.all([page.waitForNavigation(), page.click(`a[href="/packages/${pkg}/remove"]`)]);
    await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
    const removed = await jobEnded(page, 60_000);
    expect(removed.state, removed.progress).toBe('done');
    expect(removed.progress).toContain(`removed ${pkg} 1.0.0`);
    await page.goto(`http://localhost:${port}/packages?q=${pkg}`);
    expect(await page.$(`a[href="/packages/${pkg}/install"]`)).not.toBeNull();
  }, 120_000);
});
