/**
 * CONSOLE4: long values on the dashboard at a phone's width (360 px) in Debian's Chromium. A value
 * the admin copies or compares (a key's fingerprint, a command with the box's --root path, a running
 * service's limit line with its restart command, a sandbox inspection line) must be there whole and
 * on the page: wrapped, not run past the card's edge where the page (or a table's scroll box) hides
 * it. Each page: the document is no wider than the window, and every such value's text lies within
 * the window's width.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layoutOf } from '../helpers/page-layout.js';
import { dashboardInBrowser, type InBrowser, runnable } from './browser-relay.js';
import { fakeOps } from './fake-ops.js';

const FPR = '0123456789ABCDEF0123456789ABCDEF01234567';
const ROOT = '/srv/blueprint-roots/a-rather-long-folder-name-for-the-box-root/under-another-long-folder';
const RESTART = `blueprint --root ${ROOT} service restart hello`;
const LIMITS = `hello: runs with a memory limit of 128 MiB; its next start gives it 96 MiB: \`${RESTART}\``;
const INSPECTION = `  seccomp: ${ROOT}/var/lib/blueprint/services/hello/seccomp-profile-with-a-long-name.json`;

let b: InBrowser;

beforeAll(async () => {
  if (!runnable) return;
  const ops = fakeOps();
  b = await dashboardInBrowser({
    ...ops,
    service: async (name) => ({
      ...(await ops.service(name)),
      runningLimits: LIMITS,
      inspection: ['sandbox:', INSPECTION],
    }),
    keys: async () => [{ fingerprint: FPR, name: 'Publisher <keys@example.org>' }],
    repos: async () => [{ name: 'main', url: `file://${ROOT}/repository`, keys: [FPR] }],
    signerOf: async () => ({
      version: '1.0.0',
      origin: 'main',
      fingerprint: FPR,
      signer: 'Publisher',
      plan: 'p',
    }),
    packages: async () => [
      {
        name: 'greet',
        version: '1.0.0',
        installed: true,
        summary: 'says hello',
        origin: 'main',
        signer: FPR,
      },
      { name: 'other', version: '1.0.0', installed: false, summary: 'not yet installed', origin: 'main' },
    ],
  });
  await b.page.setViewport({ width: 360, height: 800 });
}, 120_000);

afterAll(async () => {
  await b?.page.setViewport({ width: 1280, height: 800 });
  await b?.close();
});

const layout = (url: string, values: string[]) => layoutOf(b.page, `${b.base}${url}`, values);

describe.skipIf(!runnable)('long values at 360 px wrap, whole and on the page', () => {
  it.each([
    ['/services/hello', [RESTART, INSPECTION.trim()]],
    ['/keys', [FPR, `file://${ROOT}/repository`]],
    ['/packages', [FPR]],
    ['/packages/other/install', [FPR]],
  ])('%s', async (url, values) => {
    const l = await layout(url, values);
    expect(l.page, `${url}: the page is wider than the window`).toBeLessThanOrEqual(l.window);
    for (const f of l.found) {
      expect(f.whole, `${f.value} not on ${url} whole`).toBe(true);
      expect(f.right, `${f.value} on ${url}: its text runs past the window`).toBeGreaterThan(0);
      expect(f.right, `${f.value} on ${url}: its text runs past the window`).toBeLessThanOrEqual(l.window);
    }
  });
});
