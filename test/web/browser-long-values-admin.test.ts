/**
 * CONSOLE5: CONSOLE4's 360 px check (browser-long-values) for the four pages it left: Tokens, Models,
 * Outbound and System, in Debian's Chromium at a phone's width, each with the longest values they
 * show (a module's and its users' names, a model's name and repository, an IPv6 destination and the
 * summary's lines, the system's compatible string and the rollback's words). On each: the document
 * is no wider than the window, and every value is on the page whole, its text within the window.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layoutOf, WIDE_ELEMENTS } from '../helpers/page-layout.js';
import { dashboardInBrowser, type InBrowser, runnable } from './browser-relay.js';
import { fakeOps } from './fake-ops.js';

const MODULE = 'retrieval-augmented-generation-with-a-long-module-name';
const USERS = ['assistant-for-the-support-team', 'assistant-for-the-sales-team'];
const MODEL = 'mistral-7b-instruct-v0.3-q4-k-m-with-a-long-name';
const REPO = 'the-organisations-internal-model-repository';
const DESTINATION = 'tcp [2001:db8:1234:5678:9abc:def0:1234:5678]:8443';
const SUMMARY = `${MODULE}: 3 destinations allowed by its manifest's outbound hosts, 1 blocked`;
const COMPATIBLE = 'blueprintos-x86_64-efi-with-a-long-compatible-string';
const ROLLBACK = `Rollback boots slot B (version 1.4.1-rc.2+build.20261124.abcdef0123456789), installed 2026-11-24T10:11:12Z`;

const BUNDLE = '/media/usb-stick-with-a-long-label/blueprintos-x86_64-1.4.3+build.20261207.raucb';

const TOKEN = 'bp_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const TOKEN_FILE = `/var/lib/blueprint/services/${MODULE}/secrets/admin-token`;

let b: InBrowser;

beforeAll(async () => {
  if (!runnable) return;
  const ops = fakeOps();
  b = await dashboardInBrowser({
    ...ops,
    tokens: async () => [
      { name: MODULE, readsToken: true, tokenSet: false, clientTokens: true, usedBy: USERS },
    ],
    setOwnToken: async () => 'set',
    rotateConsumerTokens: async () => 'rotated',
    newToken: async (name) => ({ name, token: TOKEN, file: TOKEN_FILE, restart: [name, ...USERS] }),
    models: async () => ({
      rows: [
        {
          name: MODEL,
          package: `model-${MODEL}`,
          version: '1.0.0',
          origin: REPO,
          size: '4.1 GiB',
          quantisation: 'Q4_K_M',
          isDefault: true,
        },
      ],
      defaultLine: `${MODEL} (set with blueprint model default)`,
      defaultSet: true,
    }),
    outbound: async () => ({
      summary: [SUMMARY],
      rows: [
        {
          who: MODULE,
          destination: DESTINATION,
          count: '1234567',
          firstSeen: '2026-11-24 10:11',
          lastSeen: '2026-12-07 14:15',
          verdict: 'allowed (manifest)',
          blocked: false,
        },
      ],
    }),
    system: async () => ({
      available: true,
      value: {
        compatible: COMPATIBLE,
        version: '1.4.2-rc.1+build.20261207.0123456789abcdef',
        slots: [
          {
            slot: 'A',
            version: '1.4.2-rc.1+build.20261207.0123456789abcdef',
            bootStatus: 'good',
            booted: true,
            next: true,
            installed: '2026-12-07T14:15:16Z',
          },
          {
            slot: 'B',
            version: '1.4.1-rc.2+build.20261124.abcdef0123456789',
            bootStatus: 'good',
            booted: false,
            next: false,
            installed: '2026-11-24T10:11:12Z',
          },
        ],
        rollback: [ROLLBACK],
      },
    }),
  });
  await b.page.setViewport({ width: 360, height: 800 });
}, 120_000);

afterAll(async () => {
  await b?.page.setViewport({ width: 1280, height: 800 });
  await b?.close();
});

const layout = (url: string, values: string[]) => layoutOf(b.page, `${b.base}${url}`, values);

describe.skipIf(!runnable)('long values at 360 px on Tokens, Models, Outbound, System', () => {
  it.each([
    ['/tokens', [MODULE, USERS.join(', ')]],
    ['/models', [MODEL, `repository ${REPO}`]],
    ['/outbound', [SUMMARY, DESTINATION, MODULE]],
    ['/system', [COMPATIBLE, '1.4.2-rc.1+build.20261207.0123456789abcdef']],
    ['/system/rollback', [ROLLBACK]],
    [`/system/update?file=${encodeURIComponent(BUNDLE)}`, [BUNDLE]],
    [`/tokens/${MODULE}/new`, [MODULE]],
    [`/tokens/${MODULE}/own`, [MODULE]],
  ])('%s', async (url, values) => {
    const l = await layout(url, values);
    expect(l.page, `${url}: the page is wider than the window: ${l.wide.join('; ')}`).toBeLessThanOrEqual(
      l.window,
    );
    expect(l.wide, `${url}: elements past the window`).toEqual([]);
    for (const f of l.found) {
      expect(f.whole, `${f.value} not on ${url} whole`).toBe(true);
      expect(f.right, `${f.value} on ${url}: not found`).toBeGreaterThan(0);
      expect(f.right, `${f.value} on ${url}: its text runs past the window`).toBeLessThanOrEqual(l.window);
    }
  });
});

describe.skipIf(!runnable)('the new token page at 360 px', () => {
  it('shows the token, its file and the restart command within the window', async () => {
    await b.page.goto(`${b.base}/tokens/${MODULE}/new`);
    await Promise.all([
      b.page.waitForNavigation(),
      b.page.click('[data-testid="token-confirm"] button[type="submit"]'),
    ]);
    const l = (await b.page.evaluate(`(() => {
      if (!document.querySelector('main')) return { page: 0, window: 0, wide: [document.body.innerText], value: '', text: '' };
      const input = document.querySelector('#token');
      const wide = ${WIDE_ELEMENTS};
      return { page: document.documentElement.scrollWidth, window: window.innerWidth, wide, value: input && input.value,
        text: document.querySelector('main').innerText.replace(/\\s+/g, '') };
    })()`)) as { page: number; window: number; wide: string[]; value: string; text: string };
    expect(l.value, l.wide.join('; ')).toBe(TOKEN);
    expect(l.text).toContain(TOKEN_FILE);
    expect(l.page, l.wide.join('; ')).toBeLessThanOrEqual(l.window);
    expect(l.wide).toEqual([]);
  });
});
