/**
 * What a new admin saw on the demo box's dashboard in Debian's Chromium (the QA24 walk):
 *
 * - The Packages and Services tables' last column (Remove…, Stop/Restart) was a flex box, not a
 *   table cell (`.actions { display: flex }` on the <td>): the browser wrapped it in a cell of
 *   its own, so its row line stopped short of the row's bottom wherever a summary took two lines,
 *   and the lines of that column stepped out of line with the rest of the table.
 * - Every page asked for /favicon.ico and got 404, an error in the browser's console on each page.
 *
 * The dashboard's real server and pages on their unix socket, through a loopback relay (as ssh -L).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceView } from '../../src/web/ops.js';
import { dashboardInBrowser, type InBrowser, runnable } from './browser-relay.js';
import { fakeOps } from './fake-ops.js';

const LONG =
  'Documents in, answers with sources out: retrieval-augmented generation composed from the embeddings, vectors and llm modules';

let b: InBrowser;

beforeAll(async () => {
  if (!runnable) return;
  const ops = fakeOps();
  const svc = (name: string): ServiceView => ({
    name,
    version: '1.0.0',
    state: 'running',
    network: 'loopback-socket',
  });
  b = await dashboardInBrowser({
    ...ops,
    services: async () => [svc('embeddings'), svc('hello'), svc('rag')],
    packages: async () => [
      { name: 'rag', version: '0.2.0', installed: true, summary: LONG, origin: 'main' },
      { name: 'hello', version: '1.0.0', installed: true, summary: 'hi', origin: 'main' },
      { name: 'vectors', version: '0.2.0', installed: false, summary: LONG, origin: 'main' },
    ],
  });
}, 120_000);

afterAll(async () => {
  await b?.close();
});

/** For each body row of the page's first table: the row's top and bottom, and each cell's. */
const ROWS = `[...document.querySelectorAll('main table tbody tr')].map((tr) => {
  const r = tr.getBoundingClientRect();
  return { row: [r.top, r.bottom], cells: [...tr.children].map((td) => {
    const c = td.getBoundingClientRect();
    return [td.className, c.top, c.bottom, getComputedStyle(td).display];
  }) };
})`;

describe.skipIf(!runnable)('the dashboard tables in Chromium', () => {
  for (const path of ['/packages', '/services'])
    it(`${path}: every cell of a row, its actions too, spans the whole row`, async () => {
      await b.page.setViewport({ width: 1280, height: 800 });
      await b.page.goto(`${b.base}${path}`);
      const rows = (await b.page.evaluate(ROWS)) as {
        row: [number, number];
        cells: [string, number, number, string][];
      }[];
      expect(rows.length).toBeGreaterThanOrEqual(3);
      for (const { row, cells } of rows)
        for (const [cls, top, bottom, display] of cells) {
          const what = `${cls || 'td'} (${display}) ${top}-${bottom} in a row ${row[0]}-${row[1]}`;
          expect(display, what).toBe('table-cell');
          expect(Math.abs(top - row[0]), what).toBeLessThanOrEqual(1);
          expect(Math.abs(bottom - row[1]), what).toBeLessThanOrEqual(1);
        }
    });

  it('on a phone the actions still stack under the row, buttons side by side', async () => {
    await b.page.setViewport({ width: 390, height: 800 });
    await b.page.goto(`${b.base}/services`);
    const display = await b.page.evaluate(
      `getComputedStyle(document.querySelector('main table tbody td.actions')).display`,
    );
    expect(display).toBe('flex');
    await b.page.setViewport({ width: 1280, height: 800 });
  });

  it('asks for nothing the server does not have: an icon of its own, no 404', async () => {
    const missing: string[] = [];
    const onResponse = (r: { status(): number; url(): string }) => {
      if (r.status() >= 400) missing.push(`${r.status()} ${r.url()}`);
    };
    b.page.on('response', onResponse);
    for (const path of ['/', '/packages', '/services']) {
      await b.page.goto(`${b.base}${path}`, { waitUntil: 'networkidle0' });
    }
    b.page.off('response', onResponse);
    expect(missing).toEqual([]);
    const icon = await b.page.evaluate(`document.querySelector('link[rel=icon]')?.href`);
    expect(icon).toMatch(/\/assets\/icon\.svg/);
    const res = await b.page.evaluate(
      `fetch(${JSON.stringify(String(icon))}).then(async (r) => [r.status, r.headers.get('content-type')])`,
    );
    expect(res).toEqual([200, 'image/svg+xml']);
  });
});
