import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { blueprintExe, makeKey, repoRoot, run, tempDir } from '../helpers/pkg.js';
import { helloSource, uniqueName } from '../services/helpers.js';
import { ensureSshdPrivsep, hasSshd } from '../setup/helpers.js';

/**
 * The dashboard as an admin reaches it, shared by the browser tests (browser-*.test.ts):
 * `blueprint dashboard` on a box (a temp root set up by `blueprint setup --dashboard`), a real sshd
 * with the image's hardening drop-in and setup's drop-in, and `ssh -L PORT:/…/dashboard.sock` as
 * the README says. With `repository`, the box trusts a signed repository holding the hello module
 * under a unique name (real Podman builds it); with `browser`, Debian's Chromium driven by
 * puppeteer-core has a page open. Screenshots go to a temp folder; with BP_UPDATE_SCREENSHOTS=1
 * they replace docs/img/dashboard-*.png, the ones the README shows.
 */
export const runnable =
  hasSshd &&
  process.getuid?.() === 0 &&
  existsSync(CHROMIUM) &&
  existsSync(blueprintExe) &&
  existsSync('/run/podman/podman.sock');
export const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

export interface Dashboard {
  root: string;
  /** The forwarded port on the admin's side of the tunnel. */
  port: number;
  dashboard: ChildProcess;
  loginUrl: string;
  /** The hello module's unique package name in the repository (`repository` only). */
  pkg: string;
  /** The repository key's fingerprint (`repository` only). */
  fingerprint: string;
  sshOpts: string[];
  browser: Browser;
  page: Page;
  /** Run after the file, last first, whatever fails. */
  cleanups: (() => unknown)[];
}

export async function freePort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const p = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return p;
}

export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 20_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const connects = (p: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(p, '127.0.0.1', () => {
      s.end();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });

/** A request through the tunnel on `port`, as any program on the admin's laptop could send it. */
export function viaTunnel(
  port: number,
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

/** The text of the first element matching `sel` in the page (evaluated there, as a string: no DOM types here). */
export const textOf = (page: Page, sel: string) =>
  page.evaluate(`document.querySelector(${JSON.stringify(sel)})?.textContent ?? null`) as Promise<
    string | null
  >;

/**
 * A job's page has its whole progress: [data-when-done] is shown by the stream's last event, or
 * served shown with the lines when the job had ended before its page loaded. (Its state badge
 * alone is not enough: it can say "done" before the last lines are in.)
 */
export async function jobEnded(page: Page, timeout: number): Promise<{ state: string; progress: string }> {
  await page.waitForFunction(`document.querySelector('[data-when-done]')?.hidden === false`, { timeout });
  return {
    state: (await textOf(page, '[data-testid=job-state]')) ?? '',
    progress: (await textOf(page, '[data-testid=progress]')) ?? '',
  };
}

// A test run must not rewrite tracked files: the README's screenshots are updated on request
// (BLUEPRINT_KEEP_TEMP=1 keeps a run's own to look at).
let shots: string | undefined;
export async function shot(page: Page, name: string): Promise<void> {
  shots ??=
    process.env.BP_UPDATE_SCREENSHOTS === '1'
      ? path.join(repoRoot, 'docs/img')
      : tempDir('bp-dashboard-shots-');
  await mkdir(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, `dashboard-${name}.png`) });
}

/**
 * Sets up a box, its sshd, its dashboard and the tunnel before the file's tests (and Chromium with
 * `browser`, the repository with `repository`), and takes them down after. The returned object is
 * filled in by beforeAll. Called at a test file's top level; where the box cannot run (not root, no
 * sshd, Chromium or Podman) it sets up nothing and the file's `describe.skipIf(!runnable)` skips.
 */
export function setUpDashboard(opts: { repository?: boolean; browser?: boolean } = {}): Dashboard {
  const d = { cleanups: [] as (() => unknown)[], pkg: uniqueName('bpt-web') } as Dashboard;
  const { cleanups } = d;
  if (!runnable) return d; // the file's describe.skipIf skips its tests; nothing to set up
  beforeAll(async () => {
    const user = `bpw${randomBytes(3).toString('hex')}`;
    const root = tempDir('bp-web-root-');
    const work = tempDir('bp-web-work-');
    d.root = root;
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

    const answers: Record<string, unknown> = {
      hostname: 'box-web',
      admin: { name: user, keys: [(await readFile(path.join(work, 'id.pub'), 'utf8')).trim()] },
      ssh: { enabled: true },
      dashboard: { enabled: true },
    };
    if (opts.repository) answers.repository = await helloRepository(d, work);
    await writeFile(path.join(work, 'answers.json'), JSON.stringify(answers));
    const setup = await run(['--root', root, 'setup', '--answers', path.join(work, 'answers.json')], { env });
    expect(setup.code, setup.stderr).toBe(0);
    if (opts.repository) {
      const update = await run(['--root', root, 'pkg', 'update'], { env });
      expect(update.code, update.stderr).toBe(0);
      cleanups.push(() => run(['--root', root, 'pkg', 'remove', '--yes', d.pkg], { env }));
    }
    const sshPort = await startSshd(root, work, cleanups);
    const token = await startDashboard(d);

    d.port = await freePort();
    d.sshOpts = [
      ...['-i', path.join(work, 'id'), '-p', String(sshPort)],
      ...['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'],
      ...['-o', 'BatchMode=yes', '-o', 'ExitOnForwardFailure=yes', '-o', 'LogLevel=ERROR'],
      `${user}@127.0.0.1`,
    ];
    // The README's command: ssh -L 8080:/run/blueprint/dashboard.sock admin@box
    const sock = path.join(root, 'run/blueprint/dashboard.sock');
    const tunnel = spawn('ssh', ['-N', '-L', `${d.port}:${sock}`, ...d.sshOpts], { stdio: 'ignore' });
    cleanups.push(() => tunnel.kill());
    await waitFor('the tunnel', () => connects(d.port));
    d.loginUrl = `http://localhost:${d.port}/login?token=${token}`;
    if (opts.browser) await openBrowser(d, work);
  }, 240_000);

  afterAll(async () => {
    for (const c of cleanups.splice(0).reverse())
      await Promise.resolve()
        .then(c)
        .catch(() => {});
  }, 120_000);
  return d;
}

/** A signed repository holding the hello module as `d.pkg` (podman build, FROM scratch); setup's answer. */
async function helloRepository(d: Dashboard, work: string): Promise<Record<string, string>> {
  const src = path.join(work, 'src');
  await cp(helloSource, src, { recursive: true, filter: (f) => !f.includes('/rootfs') });
  const manifest = JSON.parse(await readFile(path.join(src, 'manifest.json'), 'utf8'));
  await writeFile(path.join(src, 'manifest.json'), JSON.stringify({ ...manifest, name: d.pkg }));
  const key = await makeKey(path.join(work, 'key'));
  d.fingerprint = key.fingerprint;
  const built = await run(
    ['--json', 'repo', 'build', src, '--repo', path.join(work, 'repo'), '--key', key.privateFile],
    { env },
  );
  expect(built.code, built.stderr).toBe(0);
  return {
    name: 'main',
    url: `file://${path.join(work, 'repo')}`,
    key: key.publicFile,
    fingerprint: key.fingerprint,
  };
}

/** sshd as on the box: the image's hardening drop-in (DisableForwarding yes), then setup's. */
async function startSshd(root: string, work: string, cleanups: (() => unknown)[]): Promise<number> {
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
    { stdio: 'ignore' },
  );
  cleanups.push(() => sshd.kill());
  await waitFor('sshd', () => connects(sshPort));
  return sshPort;
}

/** `blueprint dashboard` on the box; resolves with the one-time token of the link it prints. */
async function startDashboard(d: Dashboard): Promise<string | null> {
  // As a service's start leaves it when it comes first (mkdir -p with 0750): the dashboard must
  // still let admins through to its socket.
  await mkdir(path.join(d.root, 'run/blueprint'), { recursive: true, mode: 0o750 });
  await chmod(path.join(d.root, 'run'), 0o755);
  await chmod(path.join(d.root, 'run/blueprint'), 0o750);
  d.dashboard = spawn(blueprintExe, ['--root', d.root, 'dashboard'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { dashboard } = d;
  d.cleanups.push(() => dashboard.kill());
  let out = '';
  dashboard.stdout!.on('data', (c) => (out += c));
  let err = '';
  dashboard.stderr!.on('data', (c) => (err += c));
  await waitFor(`the login link (stderr: ${err})`, () => out.includes('\n'));
  return new URL(out.trim()).searchParams.get('token');
}

export { launchChromium };

async function openBrowser(d: Dashboard, work: string): Promise<void> {
  d.browser = await launchChromium(path.join(work, 'chromium'));
  const { browser } = d;
  d.cleanups.push(() => browser.close());
  d.page = await browser.newPage();
  await d.page.setViewport({ width: 1280, height: 800 });
}
