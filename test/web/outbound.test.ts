/**
 * Issue 19 in the dashboard, against a real box (src/app over a temp root) through the real unix
 * socket: the Outbound page is `blueprint audit outbound`, escaped; installing a module that asks
 * for outbound network stops to show its hosts, and goes on only with exactly those approved.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRegistration } from '../../src/core/services/registry.js';
import { appOps } from '../../src/web/app-ops.js';
import { type Dashboard, issueLoginToken, startDashboard } from '../../src/web/index.js';
import { writeHistory } from '../helpers/outbound-history.js';
import { HOSTS, outboundRepo, removeModule } from '../helpers/outbound-module.js';
import { buildHello, uniqueName } from '../services/helpers.js';
import { tempDir } from '../setup/temp-registry.js';
import { request } from './fake-ops.js';

let dir: string;
let root: string;
let dash: Dashboard;
const name = uniqueName('bpt-web-out');

beforeAll(async () => {
  dir = tempDir('bp-web-out-');
  root = path.join(dir, 'root');
  const build = await buildHello();
  try {
    await outboundRepo(root, path.join(dir, 'work'), name, build);
  } finally {
    await rm(build.dir, { recursive: true, force: true }); // the repository holds its own copy of the image
  }
  dash = await startDashboard({
    runDir: path.join(dir, 'run/blueprint'),
    ops: appOps(root),
    gid: process.getgid?.() ?? 0,
  });
}, 120_000);
afterAll(async () => {
  await dash?.close();
  await removeModule(root, name);
});

const get = (p: string, cookie: string) => request(dash.socket, p, { headers: { cookie } });
const post = (p: string, form: URLSearchParams, cookie: string) =>
  request(dash.socket, p, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: 'http://localhost:8080' },
    body: form.toString(),
  });

async function login(): Promise<{ cookie: string; csrf: string }> {
  const r = await request(dash.socket, `/login?token=${await issueLoginToken(dash.tokenDir)}`);
  const cookie = String(r.headers['set-cookie']?.[0]).split(';')[0]!;
  const csrf = (await get('/outbound', cookie)).body.match(/name="_csrf" value="([^"]+)"/)?.[1] ?? '';
  return { cookie, csrf };
}

/** Follows a job to its end; returns its page (server-rendered, as without JavaScript). */
async function jobEnd(location: string, cookie: string): Promise<string> {
  await get(`${location}/events`, cookie); // the stream closes when the job ends
  return (await get(location, cookie)).body;
}

const decode = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

describe('the Outbound page', () => {
  it('needs a session, and lists each destination with who, count, first/last seen and verdict, escaped', async () => {
    expect((await request(dash.socket, '/outbound')).status).toBe(401);
    await writeHistory(root, [
      {
        address: '9.9.9.9',
        proto: 'udp',
        port: 53,
        rule: 'dns',
        packets: 42,
        lastSeen: '2026-01-05T13:04:00.000Z',
      },
      {
        who: 'hello',
        verdict: 'blocked',
        address: '203.0.113.9<img src=x onerror=alert(1)>\x1b]0;owned\x07',
        port: 8443,
        packets: 3,
      },
    ]);
    const { cookie } = await login();
    const r = await get('/outbound', cookie);
    expect(r.status).toBe(200);
    expect(r.headers['content-security-policy']).toContain("default-src 'none'");
    expect(r.body).toContain('<a href="/outbound" aria-current="page">Outbound</a>');
    expect(r.body).toMatch(
      /<tr><td>box<\/td><td class="wrap">udp 9\.9\.9\.9:53<\/td><td data-label="Count">42<\/td><td data-label="First seen">2026-01-01 00:00<\/td><td data-label="Last seen">2026-01-05 13:04<\/td><td data-label="Verdict" class="">allowed \(dns\)<\/td><\/tr>/,
    );
    expect(r.body).toContain('class="warn">blocked</td>');
    expect(r.body).not.toContain('<img');
    expect(r.body).not.toContain('\x1b');
    expect(r.body).toContain('203.0.113.9&lt;img src=x onerror=alert(1)&gt;\\x1b]0;owned\\x07:8443');
    expect(r.body.indexOf('203.0.113.9')).toBeLessThan(r.body.indexOf('9.9.9.9'));
    expect(r.body).toContain('1 blocked, 1 allowed destination(s).');
  });
});

describe('installing an outbound module from the dashboard', () => {
  it('stops to show the hosts (nothing installed), refuses another list, installs with exactly them', async () => {
    const { cookie, csrf } = await login();
    const form = (extra: [string, string][] = []) => new URLSearchParams([['_csrf', csrf], ...extra]);
    const confirm = await get(`/packages/${name}/install`, cookie);
    expect(confirm.body).toContain(`Install ${name}`);
    // The plan the page showed: its form carries its id, as the browser sends it.
    const planOf = (body: string) => body.match(/name="plan" value="([^"]+)"/)?.[1];
    const plan = planOf(confirm.body)!;
    expect(plan).toBeDefined();

    const first = await post(`/packages/${name}/install`, form([['plan', plan]]), cookie);
    expect(first.status).toBe(303);
    const page = await jobEnd(String(first.headers.location), cookie);
    expect(page).toContain('data-testid="job-state">failed');
    expect(page).toContain(`Approve outbound network for ${name}?`);
    for (const h of HOSTS) expect(page).toContain(`<li><code>${h}</code></li>`);
    expect(await findRegistration(root, name)).toBeUndefined();
    const fields = [...page.matchAll(/name="approve" value="([^"]+)"/g)].map((m) => decode(m[1]!));
    expect(fields).toEqual(HOSTS.map((h) => `${name} ${h}`));
    // The approval form carries the same plan on.
    expect(planOf(page)).toBe(plan);

    // A form that approves another list (one host fewer) does not install it.
    const fewer = await post(
      `/packages/${name}/install`,
      form([
        ['plan', plan],
        ['approve', fields[0]!],
      ]),
      cookie,
    );
    expect(await jobEnd(String(fewer.headers.location), cookie)).toContain(
      `asks for outbound network access to ${HOSTS.join(', ')}`,
    );
    expect(await findRegistration(root, name)).toBeUndefined();

    const approved = await post(
      `/packages/${name}/install`,
      form([['plan', plan], ...fields.map((f): [string, string] => ['approve', f])]),
      cookie,
    );
    const done = await jobEnd(String(approved.headers.location), cookie);
    expect(done).toContain('data-testid="job-state">done');
    // As `bpkg install` says it (QA21): a module runs only once started.
    expect(done).toContain(`${name} is installed, not started`);
    expect((await findRegistration(root, name))?.approvals).toEqual({
      outboundNetwork: true,
      outbound: HOSTS,
    });
    expect(await readFile(path.join(root, 'var/lib/blueprint/pkg/installed.json'), 'utf8')).toContain(name);
  }, 120_000);
});
