import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blueprintExe, makeKey, repoRoot, run, tempDir } from '../helpers/pkg.js';
import { treeSocketInodes } from '../helpers/sockets.js';
import { helloSource, uniqueName } from '../services/helpers.js';
import { ensureSshdPrivsep, hasSshd } from '../setup/helpers.js';

/**
 * The dashboard as an admin uses it: `blueprint dashboard` on a box (a temp root set up by
 * `blueprint setup --dashboard`), a real sshd with the image's hardening drop-in and setup's
 * drop-in, `ssh -L PORT:/…/dashboard.sock` as the README says, and Debian's Chromium driven by
 * puppeteer-core. It logs in with the printed token, installs the hello module from a signed
 * repository (real Podman), starts it, watches its log lines arrive, stops it, and tries the
 * attacks a forwarded socket invites. Screenshots go to a temp folder; with
 * BP_UPDATE_SCREENSHOTS=1 they replace docs/img/dashboard-*.png, the ones the README shows.
 */
const CHROMIUM = '/usr/bin/chromium';
const runnable =
  hasSshd &&
  process.getuid?.() === 0 &&
  existsSync(CHROMIUM) &&
  existsSync(blueprintExe) &&
  existsSync('/run/podman/podman.sock');
const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
const user = `bpw${randomBytes(3).toString('hex')}`;
const pkg = uniqueName('bpt-web');
// A test run must not rewrite tracked files: the README's screenshots are updated on request
// (BLUEPRINT_KEEP_TEMP=1 keeps a run's own to look at).
const shots =
  process.env.BP_UPDATE_SCREENSHOTS === '1'
    ? path.join(repoRoot, 'docs/img')
    : tempDir('bp-dashboard-shots-');
const cleanups: (() => unknown)[] = [];
let root: string;
let work: string;
let port: number;
let dashboard: ChildProcess;
let loginUrl: string;
let browser: Browser;
let fingerprint: string;
let page: Page;
let sshOpts: string[];

async function freePort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const p = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return p;
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const connects = (p: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(p, '127.0.0.1', () => {
      s.end();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });

/** A request through the tunnel, as any program on the admin's laptop could send it. */
function viaTunnel(
  p: string,
  o: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: p,
        method: o.method ?? 'GET',
        headers: { host: `localhost:${port}`, ...o.headers },
      },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

/** Listening sockets as `blueprint audit network` reports them for the host. */
async function audit(): Promise<
  Array<{ proto: string; address: string; port: number | null; inode: number; flagged: boolean }>
> {
  const r = await run(['--root', '/', '--json', 'audit', 'network'], { env });
  // Exit 1 when anything on this host is flagged (another test's listener): the list is what counts.
  expect([0, 1], r.stderr).toContain(r.code);
  return JSON.parse(r.stdout).listeners;
}

/** The text of the first element matching `sel` in the page (evaluated there, as a string: no DOM types here). */
const textOf = (sel: string, p = () => page) =>
  p().evaluate(`document.querySelector(${JSON.stringify(sel)})?.textContent ?? null`) as Promise<
    string | null
  >;
const waitUntil = (expr: string, timeout: number) => page.waitForFunction(expr, { timeout });
/**
 * A job's page has its whole progress: [data-when-done] is shown by the stream's last event, or
 * served shown with the lines when the job had ended before its page loaded. (Its state badge
 * alone is not enough: it can say "done" before the last lines are in.)
 */
async function jobEnded(timeout: number): Promise<{ state: string; progress: string }> {
  await waitUntil(`document.querySelector('[data-when-done]')?.hidden === false`, timeout);
  return {
    state: (await textOf('[data-testid=job-state]')) ?? '',
    progress: (await textOf('[data-testid=progress]')) ?? '',
  };
}

const shot = (name: string) => page.screenshot({ path: path.join(shots, `dashboard-${name}.png`) });

describe.skipIf(!runnable)('the web dashboard through an SSH tunnel, in Chromium', () => {
  beforeAll(async () => {
    root = tempDir('bp-web-root-');
    work = tempDir('bp-web-work-');
    await chmod(root, 0o755);
    const home = path.join(root, 'home', user);
    execFileSync('useradd', ['-M', '-d', home, '-s', '/bin/bash', '-G', 'sudo', user]);
    cleanups.push(() => execFileSync('userdel', ['-f', user], { stdio: 'ignore' }));
    execFileSync('usermod', ['-p', '*', user]);
    const uid = Number(execFileSync('id', ['-u', user]).toString());
    const gid = Number(execFileSync('id', ['-g', user]).toString());
    await mkdir(path.join(root, 'etc'), { recursive: true });
    await writeFile(
      path.join(root, 'etc/passwd'),
      `root:x:0:0:root:/root:/bin/bash\n${user}:x:${uid}:${gid}::/home/${user}:/bin/bash\n`,
    );
    await writeFile(path.join(root, 'etc/group'), `root:x:0:\nsudo:x:27:\n${user}:x:${gid}:\n`);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(work, 'id')]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(work, 'hostkey')]);

    // A signed repository holding the hello module under a unique name (podman build, FROM scratch).
    const src = path.join(work, 'src');
    await cp(helloSource, src, { recursive: true, filter: (f) => !f.includes('/rootfs') });
    const manifest = JSON.parse(await readFile(path.join(src, 'manifest.json'), 'utf8'));
    await writeFile(path.join(src, 'manifest.json'), JSON.stringify({ ...manifest, name: pkg }));
    const key = await makeKey(path.join(work, 'key'));
    fingerprint = key.fingerprint;
    const built = await run(
      ['--json', 'repo', 'build', src, '--repo', path.join(work, 'repo'), '--key', key.privateFile],
      { env },
    );
    expect(built.code, built.stderr).toBe(0);

    const answers = {
      hostname: 'box-web',
      admin: { name: user, keys: [(await readFile(path.join(work, 'id.pub'), 'utf8')).trim()] },
      ssh: { enabled: true },
      dashboard: { enabled: true },
      repository: {
        name: 'main',
        url: `file://${path.join(work, 'repo')}`,
        key: key.publicFile,
        fingerprint: key.fingerprint,
      },
    };
    await writeFile(path.join(work, 'answers.json'), JSON.stringify(answers));
    const setup = await run(['--root', root, 'setup', '--answers', path.join(work, 'answers.json')], { env });
    expect(setup.code, setup.stderr).toBe(0);
    const update = await run(['--root', root, 'pkg', 'update'], { env });
    expect(update.code, update.stderr).toBe(0);
    cleanups.push(() => run(['--root', root, 'pkg', 'remove', '--yes', pkg], { env }));

    // sshd as on the box: the image's hardening drop-in (DisableForwarding yes), then setup's.
    const hardening = await readFile(
      path.join(repoRoot, 'image/overlay/etc/ssh/sshd_config.d/05-blueprint-hardening.conf'),
      'utf8',
    );
    await writeFile(
      path.join(root, 'etc/ssh/sshd_config.d/05-blueprint-hardening.conf'),
      hardening.replace(/^Banner .*$/m, ''),
    );
    const sshPort = await freePort();
    await writeFile(
      path.join(work, 'sshd_config'),
      `Port ${sshPort}\nListenAddress 127.0.0.1\nHostKey ${path.join(work, 'hostkey')}\nPidFile ${path.join(work, 'sshd.pid')}\nInclude ${root}/etc/ssh/sshd_config.d/*.conf\n`,
    );
    ensureSshdPrivsep();
    const sshd = spawn(
      '/usr/sbin/sshd',
      ['-D', '-E', path.join(work, 'sshd.log'), '-f', path.join(work, 'sshd_config')],
      {
        stdio: 'ignore',
      },
    );
    cleanups.push(() => sshd.kill());
    await waitFor('sshd', () => connects(sshPort));

    // As a service's start leaves it when it comes first (mkdir -p with 0750): the dashboard must
    // still let admins through to its socket.
    await mkdir(path.join(root, 'run/blueprint'), { recursive: true, mode: 0o750 });
    await chmod(path.join(root, 'run'), 0o755);
    await chmod(path.join(root, 'run/blueprint'), 0o750);
    dashboard = spawn(blueprintExe, ['--root', root, 'dashboard'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => dashboard.kill());
    let out = '';
    dashboard.stdout!.on('data', (c) => (out += c));
    let err = '';
    dashboard.stderr!.on('data', (c) => (err += c));
    await waitFor(`the login link (stderr: ${err})`, () => out.includes('\n'));
    const token = new URL(out.trim()).searchParams.get('token');
    const sock = path.join(root, 'run/blueprint/dashboard.sock');

    port = await freePort();
    sshOpts = [
      '-i',
      path.join(work, 'id'),
      '-p',
      String(sshPort),
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'ExitOnForwardFailure=yes',
      '-o',
      'LogLevel=ERROR',
      `${user}@127.0.0.1`,
    ];
    // The README's command: ssh -L 8080:/run/blueprint/dashboard.sock admin@box
    const tunnel = spawn('ssh', ['-N', '-L', `${port}:${sock}`, ...sshOpts], { stdio: 'ignore' });
    cleanups.push(() => tunnel.kill());
    await waitFor('the tunnel', () => connects(port));
    loginUrl = `http://localhost:${port}/login?token=${token}`;

    const { default: puppeteer } = await import('puppeteer-core');
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${path.join(work, 'chromium')}`,
      ],
    });
    cleanups.push(() => browser.close());
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    await mkdir(shots, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    for (const c of cleanups.splice(0).reverse())
      await Promise.resolve()
        .then(c)
        .catch(() => {});
  }, 120_000);

  it('refuses a request through the tunnel with no session (401) or another Host (421)', async () => {
    expect((await viaTunnel('/')).status).toBe(401);
    expect((await viaTunnel('/services')).status).toBe(401);
    expect((await viaTunnel('/', { headers: { host: `rebind.example:${port}` } })).status).toBe(421);
  });

  it('logs in with the one-time token and shows the overview', async () => {
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
    const r = await run(['--root', root, '--json', 'dashboard', 'url', '--port', String(port)], { env });
    expect(r.code, r.stderr).toBe(0);
    const url = new URL(JSON.parse(r.stdout).url);
    expect(url.host).toBe(`localhost:${port}`);
    const first = await viaTunnel(url.pathname + url.search);
    expect(first.status).toBe(303);
    expect((await viaTunnel(url.pathname + url.search)).status).toBe(401);
  });

  it('installs the hello module, showing its signer and origin, with progress', async () => {
    await page.goto(`http://localhost:${port}/packages?q=${pkg}`);
    expect(await page.$(`a[href="/packages/${pkg}/install"]`), await page.content()).not.toBeNull();
    await shot('packages');
    await Promise.all([page.waitForNavigation(), page.click(`a[href="/packages/${pkg}/install"]`)]);
    const confirm = await page.content();
    expect(confirm).toMatch(/<dt>Origin<\/dt><dd>main<\/dd>/);
    expect(confirm).toContain(fingerprint.toUpperCase());
    await shot('confirm');
    await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
    expect(page.url(), await page.content()).toMatch(/\/jobs\//);
    const { state, progress } = await jobEnded(180_000);
    expect(state, progress).toBe('done');
    expect(progress).toContain('verified: signed by');
    await shot('install');
  }, 240_000);

  it('starts the service, streams its log live, stops it and shows the state change', async () => {
    await page.goto(`http://localhost:${port}/services/${pkg}`);
    await Promise.all([page.waitForNavigation(), page.click(`form[action="/services/${pkg}/start"] button`)]);
    await waitUntil(`document.querySelector('[data-testid=state]')?.textContent === 'running'`, 60_000);
    const log = async () => textOf('[data-testid=log]').then((t) => t ?? '');
    await waitFor('the listening line in the live log', async () =>
      (await log()).includes('hello: listening on'),
    );
    // A request to the service, after the page opened: its log line arrives on the open stream.
    const svcSock = path.join(root, 'run/blueprint/services', pkg, 'hello.sock');
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
    cleanups.push(() => evil.close());
    const attacker = await browser.newPage();
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

  it('upgrades (nothing newer) and removes the module from the packages page', async () => {
    await page.goto(`http://localhost:${port}/packages`);
    await Promise.all([page.waitForNavigation(), page.click('form[action="/packages/upgrade"] button')]);
    const upgraded = await jobEnded(60_000);
    expect(upgraded.state, upgraded.progress).toBe('done');
    expect(upgraded.progress).toContain('everything is up to date');
    // Its page again, the job long over: state and whole progress at once, as served.
    await page.goto(page.url());
    expect(await textOf('[data-testid=job-state]')).toBe('done');
    expect(await textOf('[data-testid=progress]')).toContain('everything is up to date');
    await page.goto(`http://localhost:${port}/packages?q=${pkg}`);
    await Promise.all([page.waitForNavigation(), page.click(`a[href="/packages/${pkg}/remove"]`)]);
    await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
    const removed = await jobEnded(60_000);
    expect(removed.state, removed.progress).toBe('done');
    expect(removed.progress).toContain(`removed: ${pkg} 1.0.0`);
    await page.goto(`http://localhost:${port}/packages?q=${pkg}`);
    expect(await page.$(`a[href="/packages/${pkg}/install"]`)).not.toBeNull();
  }, 120_000);

  it('lets the admin forward nothing else: no remote forward, no socket the admin cannot open', async () => {
    // -R: sshd refuses (PermitListen none), so ssh exits at once (ExitOnForwardFailure).
    const remote = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const c = spawn('ssh', ['-N', '-R', `127.0.0.1:${port + 1}:127.0.0.1:22`, ...sshOpts]);
      let err = '';
      c.stderr.on('data', (d) => (err += d));
      const timer = setTimeout(() => c.kill(), 15_000);
      c.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, err });
      });
    });
    expect(remote.code).not.toBe(0);
    expect(remote.err).toMatch(/remote port forwarding failed/i);
    // -L to the engine's socket (root's alone): the forward opens locally, sshd cannot connect.
    const enginePort = await freePort();
    const fwd = spawn('ssh', ['-N', '-L', `${enginePort}:/run/podman/podman.sock`, ...sshOpts], {
      stdio: 'ignore',
    });
    cleanups.push(() => fwd.kill());
    await waitFor('the second forward', () => connects(enginePort));
    const answer = await new Promise<string>((resolve) => {
      const c = net.connect(enginePort, '127.0.0.1', () => c.write('GET /_ping HTTP/1.0\r\nHost: d\r\n\r\n'));
      let got = '';
      c.on('data', (d) => (got += d));
      c.on('close', () => resolve(got));
      c.on('error', () => resolve(got));
    });
    expect(answer).toBe('');
    fwd.kill();
  }, 60_000);

  it('adds no network listener: `blueprint audit network` sees only its unix socket', async () => {
    const now = await audit();
    // Judged by owner, not by a before/after diff of the whole machine: other tests running at the
    // same time open sockets of their own (a clean-clone run saw two UDP ones from elsewhere).
    const mine = await treeSocketInodes(dashboard.pid!);
    const ours = now.filter((l) => mine.has(l.inode));
    expect(ours.map((l) => [l.proto, l.address])).toEqual([
      ['unix', path.join(root, 'run/blueprint/dashboard.sock')],
    ]);
    expect(ours.filter((l) => l.flagged)).toEqual([]);
  });
});
