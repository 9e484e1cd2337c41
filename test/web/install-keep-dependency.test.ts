/**
 * The install page of a package installed as a dependency said it was installed and told the admin
 * to run `bpkg install NAME` on the box to keep it from autoremove. It now offers Keep it: the same
 * install of that package, through a plan the page showed (its id in the form), which marks it as
 * installed by the admin; the job says so in the CLI's words (src/present). A real box (signed
 * folder repository), the dashboard through its unix socket.
 */
import { expect, it } from 'vitest';
import { bpkg } from '../helpers/pkg.js';
import { boxDashboard, forms } from './box-dashboard.js';

const box = boxDashboard(
  [
    { name: 'libgreet', version: '1.2.0' },
    { name: 'hello', version: '1.0.0', depends: ['libgreet>=1.0.0'] },
  ],
  'hello',
  'bp-web-keep-',
);
const { get, post } = box;
const auto = async (name: string) =>
  (
    JSON.parse((await bpkg(box.root, ['list', '--json'])).stdout) as Array<{ name: string; auto?: boolean }>
  ).find((p) => p.name === name)?.auto === true;

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
  const job = await box.jobEnd(r.headers.location!);
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
