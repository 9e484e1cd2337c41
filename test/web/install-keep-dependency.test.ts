/**
 * The install page of a package installed as a dependency said it was installed and told the admin
 * to run `bpkg install NAME` on the box to keep it from autoremove. It now offers Keep it: the same
 * install of that package, through a plan the page showed (its id in the form), which marks it as
 * installed by the admin; the job says so in the CLI's words (src/present). A real box (signed
 * folder repository), the dashboard through its unix socket.
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { appOps } from '../../src/web/app-ops.js';
import { type Dashboard, issueLoginToken, startDashboard } from '../../src/web/index.js';
import { bpkg, signedRepo, tempDir, trustingRoot } from '../helpers/pkg.js';
import { request } from './fake-ops.js';

let root: string;
let dash: Dashboard;
let cookie: string;
let csrf: string;

const get = (p: string) => request(dash.socket, p, { headers: { cookie } });
const post = (p: string, fields: Record<string, string>) =>
  request(dash.socket, p, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: 'http://localhost:8080' },
    body: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
  });
const forms = (page: string) =>
  [...page.matchAll(/<form[^>]* method="post" action="([^"]+)"/g)].map((m) => m[1]);
const auto = async (name: string) =>
  (JSON.parse((await bpkg(root, ['list', '--json'])).stdout) as Array<{ name: string; auto?: boolean }>).find(
    (p) => p.name === name,
  )?.auto === true;

beforeAll(async () => {
  const { key, repo } = await signedRepo([
    { name: 'libgreet', version: '1.2.0' },
    { name: 'hello', version: '1.0.0', depends: ['libgreet>=1.0.0'] },
  ]);
  root = await trustingRoot(key, repo);
  expect((await bpkg(root, ['install', '--yes', 'hello'])).code).toBe(0);
  dash = await startDashboard({
    runDir: path.join(tempDir('bp-web-keep-'), 'run/blueprint'),
    ops: appOps(root),
    gid: process.getgid?.() ?? 0,
  });
  const r = await request(dash.socket, `/login?token=${await issueLoginToken(dash.tokenDir)}`);
  cookie = String(r.headers['set-cookie']?.[0]).split(';')[0]!;
  csrf = (await get('/packages')).body.match(/name="_csrf" value="([^"]+)"/)?.[1] ?? '';
}, 60_000);
afterAll(async () => {
  await dash?.close();
});

it('a dependency: Keep it marks it as installed by the admin, and the job says so', async () => {
  const page = (await get('/packages/libgreet/install')).body;
  expect(page).toContain('libgreet 1.2.0 is installed');
  expect(page).not.toContain('on the box');
  expect(forms(page)).toContain('/packages/libgreet/install');
  expect(page).toContain('Keep it');
  const plan = page.match(/name="plan" value="([^"]+)"/)?.[1];
  expect(plan).toBeTruthy();
  expect(await auto('libgreet')).toBe(true);
  const r = await post('/packages/libgreet/install', { plan: plan! });
  expect(r.status).toBe(303);
  expect(r.headers.location).toMatch(/^\/jobs\//);
  await get(`${r.headers.location}/events`);
  const job = (await get(r.headers.location!)).body;
  expect(job).toContain(
    'libgreet 1.2.0 is installed already; marked as installed by you: autoremove keeps it',
  );
  expect(job).not.toContain('libgreet is already installed');
  expect(await auto('libgreet')).toBe(false);
  // Kept now: the page offers no Keep it (nor an Install).
  const after = (await get('/packages/libgreet/install')).body;
  expect(after).not.toContain('Keep it');
  expect(forms(after)).not.toContain('/packages/libgreet/install');
});

it('a package asked for by name offers no Keep it', async () => {
  const page = (await get('/packages/hello/install')).body;
  expect(page).toContain('hello 1.0.0 is installed');
  expect(page).not.toContain('Keep it');
  expect(forms(page)).not.toContain('/packages/hello/install');
});
