/**
 * CONSOLE7 (CONSOLE6's walk): tmux 3.3a keeps a ZWJ family emoji (👨‍👩‍👧‍👦, 25 bytes) in one cell of two
 * columns but stores only part of it: its screen lost the last person (👦), so an untrusted name
 * that carries one was shown cut, whatever width the console counted. The console shows a ZWJ
 * sequence of emoji in untrusted text as its parts (👨👩👧👦): two columns each, as tmux, xterm, the
 * Linux console and a grapheme-aware terminal all draw them, and as string-width counts them. The
 * name comes from the outbound history file, read by the real core source; dist/blueprint in tmux.
 */
import { beforeEach, expect, it } from 'vitest';
import { writeHistory } from '../helpers/outbound-history.js';
import { rootsPerTest } from '../helpers/roots.js';
import { exe, keepScreen, Pane, requireExe } from './tmux.js';

const t = rootsPerTest('zwjtmux');
beforeEach(() => requireExe());

const FAMILY = '👨‍👩‍👧‍👦';
const PARTS = '👨👩👧👦';

it('a ZWJ family in a module name is shown whole, as its parts, in the list and in its view', async () => {
  await writeHistory(t.root, [
    { who: `a${FAMILY}b`, verdict: 'blocked', address: '203.0.113.9', port: 8443, packets: 3 },
    { who: 'box', address: '9.9.9.9', proto: 'udp', port: 53, packets: 42 },
  ]);
  const p = new Pane([exe, '--root', t.root], { width: 80, height: 24 });
  t.defer(async () => p.kill());
  await p.waitFor('Host');
  p.keys('6');
  const list = await p.waitFor('Outbound (2)');
  await keepScreen('outbound-zwj', list);
  const rows = list.split('\n');
  const row = rows.find((r) => r.includes('203.0.113.9'));
  // Every part, in order, and the columns after it where the other row has them.
  expect(row, list).toContain(`a${PARTS}`);
  const other = rows.find((r) => r.includes('9.9.9.9'))!;
  // tmux's capture has a wide cell as one code point: the destination (its protocol first) starts
  // in the same cell on both rows, each part two cells.
  const cell = (r: string, text: string) => [...r.slice(0, r.indexOf(text))].length;
  expect(cell(row!, 'tcp 203.0.113.9') + [...PARTS].length, list).toBe(cell(other, 'udp 9.9.9.9'));
  p.keys('Enter');
  const view = await p.waitFor('Who:');
  await keepScreen('outbound-zwj-view', view);
  expect(view).toContain(`Who: a${PARTS}b`);
});

// CONSOLE8: a skin tone is drawn by tmux in its own two columns (👍🏽: 4); the console counts it so
// (text-width.ts), and the row keeps its destination on the same screen row.
const TONED = '\u{1F44D}\u{1F3FD}';

it('emoji with a skin tone in a module name keep the list row and its view within the screen', async () => {
  await writeHistory(t.root, [
    { who: `a${TONED.repeat(24)}b`, verdict: 'blocked', address: '203.0.113.9', port: 8443, packets: 3 },
    { who: 'box', address: '9.9.9.9', proto: 'udp', port: 53, packets: 42 },
  ]);
  const p = new Pane([exe, '--root', t.root], { width: 80, height: 24 });
  t.defer(async () => p.kill());
  await p.waitFor('Host');
  p.keys('6');
  const list = await p.waitFor('Outbound (2)');
  await keepScreen('outbound-toned', list);
  const rows = list.split('\n');
  const row = rows.find((r) => r.includes(TONED));
  expect(row, list).toContain('203.0.113.9');
  const other = rows.find((r) => r.includes('9.9.9.9'))!;
  // The destination starts in the same column on both rows: tmux's capture has a wide cell as one
  // code point, a toned emoji as two (each part two columns).
  const column = (r: string, text: string) =>
    [...r.slice(0, r.indexOf(text))].reduce((n, c) => n + (/\p{Emoji_Presentation}/u.test(c) ? 2 : 1), 0);
  expect(column(row!, 'tcp 203.0.113.9'), list).toBe(column(other, 'udp 9.9.9.9'));
  p.keys('Enter');
  const view = await p.waitFor('Who:');
  await keepScreen('outbound-toned-view', view);
  // Wrapped by columns: every tone shown, and the view's next field on a row of its own.
  expect(view.split(TONED).length - 1, view).toBe(24);
  const lines = view.split('\n');
  const who = lines.findIndex((l) => l.includes('Who:'));
  expect(lines.slice(who).join('\n'), view).toMatch(/b\s*\n/);
});
