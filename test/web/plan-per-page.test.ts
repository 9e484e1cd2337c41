/**
 * The dashboard carries out the plan the admin confirmed on their page, not the one another page
 * showed since. The install page's plan was kept per package name, for every session: admin A
 * opened "Install greeter?" (1.0.0), the repository then offered 2.0.0 and admin B opened the same
 * page, and A's confirmation installed 2.0.0, which A never saw. Each page's plan now has an id the
 * form carries; a confirmation without a known id is refused (plan-changed) and installs nothing.
 * The same for the upgrade page. A real box (signed folder repository), the dashboard's operations.
 */
import { expect, it } from 'vitest';
import { appOps } from '../../src/web/app-ops.js';
import { bpkg, publishSources, signedRepo, trustingRoot } from '../helpers/pkg.js';

const never = () => new AbortController().signal;

it("carries out the plan the confirming page showed, not another page's newer one", async () => {
  const { key, repo } = await signedRepo([{ name: 'greeter', version: '1.0.0' }]);
  const root = await trustingRoot(key, repo);
  const ops = appOps(root);
  const pageA = await ops.signerOf('greeter');
  expect(pageA.version).toBe('1.0.0');
  await publishSources(repo, key, [
    { name: 'greeter', version: '1.0.0' },
    { name: 'greeter', version: '2.0.0' },
  ]);
  await ops.refresh();
  const pageB = await ops.signerOf('greeter');
  expect(pageB.version).toBe('2.0.0');
  expect(pageB.plan).not.toBe(pageA.plan);
  // A confirms what A saw: the box now offers 2.0.0, so A's plan no longer holds: refused.
  const lines: string[] = [];
  await expect(
    ops.packageAction('install', 'greeter', (l) => lines.push(l), never(), undefined, pageA.plan),
  ).rejects.toMatchObject({ code: 'plan-changed' });
  expect((await bpkg(root, ['list'])).stdout).not.toContain('greeter');
  // No plan, or one of another package: refused, nothing installed.
  await expect(ops.packageAction('install', 'greeter', () => {}, never())).rejects.toMatchObject({
    code: 'plan-changed',
  });
  const other = await ops.signerOf('greeter');
  await expect(
    ops.packageAction('install', 'nope', () => {}, never(), undefined, other.plan),
  ).rejects.toMatchObject({ code: 'plan-changed' });
  expect((await bpkg(root, ['list'])).stdout).not.toContain('greeter');
  // B's page, confirmed: B's plan carried out.
  await ops.packageAction('install', 'greeter', (l) => lines.push(l), never(), undefined, pageB.plan);
  expect((await bpkg(root, ['list'])).stdout).toMatch(/greeter\s+2\.0\.0/);
});

it('an upgrade carries out the plan of the page confirmed, once', async () => {
  const { key, repo } = await signedRepo([{ name: 'greeter', version: '1.0.0' }]);
  const root = await trustingRoot(key, repo);
  expect((await bpkg(root, ['install', '--yes', 'greeter'])).code).toBe(0);
  await publishSources(repo, key, [{ name: 'greeter', version: '2.0.0' }]);
  const ops = appOps(root);
  await ops.refresh();
  const pageA = await ops.upgradePlan();
  const pageB = await ops.upgradePlan();
  expect(pageA.plan).not.toBe(pageB.plan);
  await expect(ops.packageAction('upgrade', '', () => {}, never())).rejects.toMatchObject({
    code: 'plan-changed',
  });
  await ops.packageAction('upgrade', '', () => {}, never(), undefined, pageA.plan);
  expect((await bpkg(root, ['list'])).stdout).toMatch(/greeter\s+2\.0\.0/);
  // Carried out once: the same page confirmed again is refused.
  await expect(
    ops.packageAction('upgrade', '', () => {}, never(), undefined, pageA.plan),
  ).rejects.toMatchObject({ code: 'plan-changed' });
});
