/**
 * The install page of a package that is installed already, and the remove page of one that is not
 * installed (a bookmark, a page kept open while another admin acted, a typed URL): each offered its
 * confirmation as if nothing were the matter. Install greeter showed greeter's signer and an
 * Install button that then did nothing ("greeter is already installed"); Remove beta offered Remove
 * beta, and the job then failed ("beta is not installed"). Each page now says what is the case and
 * offers the next step (upgrade, remove; install), with no confirmation; a confirmation from a page
 * shown before the state changed says what is the case too. A real box (signed folder repository),
 * the dashboard through its unix socket.
 */
import { expect, it } from 'vitest';
import { bpkg, publishSources } from '../helpers/pkg.js';
import { boxDashboard, forms } from './box-dashboard.js';

const box = boxDashboard(
  [
    { name: 'alpha', version: '1.2.0' },
    { name: 'beta', version: '1.0.0' },
  ],
  'alpha',
  'bp-web-state-',
);
const { get, post, jobEnd } = box;

it('the install page of an installed package says it is installed and offers no Install', async () => {
  const page = (await get('/packages/alpha/install')).body;
  expect(page).toContain('alpha 1.2.0 is installed');
  expect(page).not.toContain('Install alpha?');
  expect(forms(page)).not.toContain('/packages/alpha/install');
  expect(page).toContain('href="/packages/alpha/remove"');
});

it('the remove page of a package not installed says so, offers Install, and no Remove', async () => {
  const page = (await get('/packages/beta/remove')).body;
  expect(page).toContain('beta is not installed');
  expect(page).not.toContain('Remove beta?');
  expect(forms(page)).not.toContain('/packages/beta/remove');
  expect(page).toContain('href="/packages/beta/install"');
  // A name no repository offers either: said, with nothing to install.
  const none = (await get('/packages/nope/remove')).body;
  expect(none).toContain('nope is not installed');
  expect(none).not.toContain('href="/packages/nope/install"');
  expect(forms(none)).not.toContain('/packages/nope/remove');
});

it('an installed package with a newer version offered: the install page offers the upgrade', async () => {
  await publishSources(box.repo, box.key, [
    { name: 'alpha', version: '1.2.0' },
    { name: 'alpha', version: '1.3.0' },
    { name: 'beta', version: '1.0.0' },
  ]);
  expect((await bpkg(box.root, ['update'])).code).toBe(0);
  const page = (await get('/packages/alpha/install')).body;
  expect(page).toContain('alpha 1.2.0 is installed');
  expect(page).toContain('1.3.0');
  expect(forms(page)).toContain('/packages/update');
  expect(forms(page)).not.toContain('/packages/alpha/install');
});

it('a confirmation from a page shown before the state changed says what is the case', async () => {
  // Remove beta's page was shown while beta was installed; another admin removed it since.
  expect((await bpkg(box.root, ['install', '--yes', 'beta'])).code).toBe(0);
  const removePage = (await get('/packages/beta/remove')).body;
  expect(forms(removePage)).toContain('/packages/beta/remove');
  expect((await bpkg(box.root, ['remove', '--yes', 'beta'])).code).toBe(0);
  const r = await post('/packages/beta/remove', {});
  expect(r.status).toBe(303);
  const after = r.headers.location!.startsWith('/jobs/')
    ? await jobEnd(r.headers.location!)
    : (await get(r.headers.location!)).body;
  expect(after).toContain('beta is not installed');
  expect(after).not.toMatch(/failed|error/i);
});

it('an Install confirmed after another admin installed the package says it is installed', async () => {
  const page = (await get('/packages/beta/install')).body;
  const plan = page.match(/name="plan" value="([^"]+)"/)?.[1];
  expect(plan).toBeTruthy();
  expect((await bpkg(box.root, ['install', '--yes', 'beta'])).code).toBe(0);
  const r = await post('/packages/beta/install', { plan: plan! });
  expect(r.status).toBe(303);
  expect(r.headers.location).toMatch(/^\/packages\/beta\/install\?notice=/);
  const after = (await get(r.headers.location!)).body;
  expect(after).toContain('Nothing was installed: beta 1.0.0 is installed already.');
  expect(after).toContain('beta 1.0.0 is installed');
  expect(forms(after)).not.toContain('/packages/beta/install');
});

it('a page for a name no repository offers says so (404); a path for a name is a bad request (400)', async () => {
  const none = await get('/packages/nope/install');
  expect(none.status).toBe(404);
  expect(none.body).toContain('No package nope in the verified indexes');
  // A path where a package name goes: refused as the CLI's usage error (exit 2), not a server error.
  const path = await get('/packages/..%2Fx/install');
  expect(path.body).toContain('../x is not a package name');
  expect(path.status).toBe(400);
});
