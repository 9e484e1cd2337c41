/**
 * CONSOLE3 (QA25's left item): the Outbound screen on a 40-column serial line. Its six columns were
 * squeezed into 38: every destination cut after its protocol (`tcp 2…`), every verdict to `…`, and
 * the summary under the list (not counted in the list's height) wrapped over four rows, so a longer
 * history ran the rows over it. Now a narrow screen lists who, where and the verdict, each
 * destination whole where it fits; Enter shows one destination in full (count, first and last seen,
 * the allowing rule), at every width; the summary fits its rows. dist/blueprint in tmux.
 */
import { beforeEach, expect, it } from 'vitest';
import { writeHistory } from '../helpers/outbound-history.js';
import { rootsPerTest } from '../helpers/roots.js';
import { exe, keepScreen, Pane, requireExe } from './tmux.js';

const t = rootsPerTest('outnarrow');
beforeEach(() => requireExe());

const history = () =>
  writeHistory(t.root, [
    {
      who: 'llm',
      verdict: 'blocked',
      address: '203.0.113.9',
      port: 8443,
      packets: 3,
      firstSeen: '2026-01-03T10:00:00.000Z',
      lastSeen: '2026-01-04T11:30:00.000Z',
    },
    {
      address: '9.9.9.9',
      proto: 'udp',
      port: 53,
      rule: 'dns',
      packets: 42,
      firstSeen: '2026-01-02T08:00:00.000Z',
      lastSeen: '2026-01-05T13:04:00.000Z',
    },
    ...Array.from({ length: 6 }, (_, i) => ({
      who: 'embeddings',
      address: `198.51.100.${70 + i}`,
      rule: 'module embeddings',
      packets: 7,
    })),
  ]);

function pane(width: number, height: number): Pane {
  const p = new Pane([exe, '--root', t.root], { width, height });
  t.defer(async () => p.kill());
  return p;
}

it('40×12: who, the whole destination and the verdict; the summary in its rows; Enter shows it all', async () => {
  await history();
  const p = pane(40, 12);
  await p.waitFor('Host');
  p.keys('6');
  const s = await p.waitFor('Outbound (8)');
  await keepScreen('outbound-40', s);
  const rows = s.split('\n');
  expect(rows.find((r) => r.includes('203.0.113.9:8443'))).toMatch(
    /llm +(tcp )?203\.0\.113\.9:8443 +blocked/,
  );
  expect(s).toMatch(/box +(udp )?9\.9\.9\.9:53 +allowed/);
  // Nothing painted over: the title on the body's first row, the summary and the key line in sight.
  expect(rows[1]).toContain('Outbound (8)');
  expect(s).toContain('1 blocked, 7 allowed');
  expect(s).toMatch(/Enter details/);
  expect(rows[11]).toContain('q back');
  p.keys('Enter');
  const d = await p.waitFor('Count');
  await keepScreen('outbound-40-details', d);
  const flat = d.replace(/\s+/g, ' ');
  expect(flat).toContain('tcp 203.0.113.9:8443');
  expect(flat).toMatch(/Verdict:? blocked/);
  expect(flat).toMatch(/Count:? 3/);
  expect(flat).toMatch(/First seen:? 2026-01-03 10:00/);
  expect(flat).toMatch(/Last seen:? 2026-01-04 11:30/);
  p.keys('Escape');
  await p.waitFor('Outbound (8)');
  // One key a read: keys sent together reach the console as one input ("j\r"), which is no key.
  p.keys('j');
  await p.waitFor(/> box/);
  p.keys('Enter');
  expect((await p.waitFor('Count')).replace(/\s+/g, ' ')).toMatch(/allowed \(dns\)/);
  p.keys('q');
  await p.waitFor('Outbound (8)');
  p.keys('C-c');
  await p.waitFor('EXIT=0');
}, 60_000);

it('120×40: every column, as before', async () => {
  await history();
  const p = pane(120, 40);
  await p.waitFor('Host');
  p.keys('6');
  const s = await p.waitFor('Outbound (8)');
  await keepScreen('outbound-120', s);
  expect(s).toMatch(/Who +Destination +Count +First \(UTC\) +Last \(UTC\) +Verdict/);
  expect(s).toMatch(/llm +tcp 203\.0\.113\.9:8443 +3 +01-03 10:00 +01-04 11:30 +blocked/);
  expect(s).toMatch(/embeddings +tcp 198\.51\.100\.7\d:443 +7 .*allowed \(module embeddings\)/);
  expect(s).toContain('The firewall was not read (not the running system, or no rules): history only.');
  p.keys('C-c');
  await p.waitFor('EXIT=0');
}, 60_000);
