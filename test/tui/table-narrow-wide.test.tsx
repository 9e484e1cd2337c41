/**
 * QA25 walked the console's lists at 80×24, 40×12 and 120×40 with a repository whose packages have
 * a 60-character name, a 200-character summary and a summary of emoji and wide CJK characters:
 * - the header row was not cut like the rows: at 40 columns (and on the Keys screen at 80) its last
 *   headers wrapped onto a row of their own, over the first entry;
 * - each fixed column kept its widest width whatever it held: the State column's 28 columns for
 *   `available`, so at 80 columns a summary showed 9 characters (`Example s…`);
 * - a cell was cut by its count of UTF-16 units, not the columns it takes: a summary of emoji and
 *   CJK characters ran on past its column, to the edge of the screen.
 */
import { expect, it } from 'vitest';
import { type Column, columnWidths, fitCell } from '../../src/tui/components/Table.js';
import type { PackageRow } from '../../src/tui/sources.js';
import { textWidth } from '../../src/tui/text-width.js';
import { boxPerTest } from '../helpers/roots.js';
import { consoleSize, frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('tablefit');

const ROWS: PackageRow[] = [
  { name: 'a'.repeat(60), version: '1.0.0', installed: false, summary: 'L'.repeat(200) },
  {
    name: 'hello',
    version: '1.0.0',
    installed: false,
    summary: 'Example sandboxed service: a tiny HTTP server on a unix socket',
  },
  {
    name: 'wide-emoji',
    version: '1.0.0',
    installed: false,
    summary: '🚀🚀 日本語のパッケージ 👨‍👩‍👧‍👦 family 🇯🇵 flag',
  },
];

function expectWithin(frame: string, columns: number): void {
  for (const l of frame.split('\n')) expect(textWidth(l), l).toBeLessThanOrEqual(columns);
}

it('fitCell cuts by the columns a cell takes, never inside a character', () => {
  expect(textWidth(fitCell('日本語のパッケージ', 7))).toBe(7);
  expect(fitCell('日本語のパッケージ', 7)).toBe('日本語…');
  expect(fitCell('日本語', 8)).toBe('日本語  ');
  // An emoji of several code points (a family, a flag) is kept whole or left out whole.
  const cut = fitCell('ab👨‍👩‍👧‍👦🇯🇵cd', 5);
  expect(textWidth(cut)).toBe(5);
  // Left out: the joined family counts 8 columns, as xterm draws it (text-width.ts).
  expect(['ab👨‍👩‍👧‍👦…', 'ab…  ']).toContain(cut);
  expect(fitCell('abcdef', 4)).toBe('abc…');
});

for (const [columns, rows] of [
  [40, 12],
  [80, 24],
  [120, 40],
] as const) {
  it(`the Packages list at ${columns}×${rows}: header on one row, every row within the screen`, async () => {
    const app = renderApp(sourcesFor(box.root, { packages: async () => ({ available: true, value: ROWS }) }));
    consoleSize(app, columns, rows);
    await frameWith(app, 'Host');
    await type(app, '2');
    const f = await frameWith(app, 'hello');
    expectWithin(f, columns);
    const lines = f.split('\n');
    const header = lines.findIndex((l) => l.includes('Name'));
    // The row under the header is the first package, not the rest of the header.
    expect(lines[header + 1], f).toMatch(/^\s*> aaaa/);
    if (columns >= 80) {
      expect(lines[header], f).toMatch(/Name.*Version.*State.*Summary/);
      // `available` does not take 28 columns from the summary.
      expect(f).toContain('Example sandboxed service');
    }
    app.unmount();
  });
}

it('the Keys list at 80 columns keeps its header on one row', async () => {
  const app = renderApp(
    sourcesFor(box.root, {
      keys: async () => ({
        available: true,
        value: [
          {
            fingerprint: '3F5C70246386622511C38BCC7525031111315601',
            name: 'QA25 key <repo@blueprintos.invalid>',
            repositories: ['demo'],
            revoked: false,
          },
        ],
      }),
    }),
  );
  consoleSize(app, 80, 24);
  await frameWith(app, 'Host');
  await type(app, '4');
  const f = await frameWith(app, '3F5C');
  expectWithin(f, 80);
  const lines = f.split('\n');
  const header = lines.findIndex((l) => l.includes('Fingerprint'));
  expect(lines[header], f).toMatch(/Fingerprint.*Signs for.*Signer/);
  expect(lines[header + 1], f).toContain('3F5C');
  app.unmount();
});

it('a state that changes does not move the columns where the summary has room (80 columns)', () => {
  const cols: Column<{ state: string }>[] = [
    { header: 'Service', width: 22, get: () => 'hello' },
    { header: 'State', width: 12, get: (r) => r.state },
    { header: 'Security', width: 10, get: () => '7/8' },
    { header: 'Detail', get: () => '1.0.0 net:loopback-socket healthy 364 KiB' },
  ];
  const before = columnWidths(cols, [{ state: 'not created' }], 78);
  const after = columnWidths(cols, [{ state: 'running' }], 78);
  expect(after).toEqual(before);
  // The Packages list at 80: its fixed columns give up their spare room to the summary.
  const pkg = columnWidths(
    [
      { header: 'Name', width: 22, get: (p: PackageRow) => p.name },
      { header: 'Version', width: 12, get: (p: PackageRow) => p.version },
      { header: 'State', width: 28, get: () => 'available' },
      { header: 'Summary', get: (p: PackageRow) => p.summary },
    ],
    ROWS,
    78,
  );
  expect(pkg[3]).toBeGreaterThanOrEqual(30);
});
