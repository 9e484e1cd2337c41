/**
 * Issue 19: the console's Outbound screen is `blueprint audit outbound`: each destination with who
 * contacted it, how often, first and last seen, and the rule that allowed it or that it was
 * blocked; blocked first. Read through the real box (src/app) from the history under the root.
 */
import { describe, expect, it } from 'vitest';
import { writeHistory } from '../helpers/outbound-history.js';
import { boxPerTest } from '../helpers/roots.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('ink-outbound');

describe('the Outbound screen', () => {
  it('lists each destination: who, count, first and last seen, the allowing rule; blocked first', async () => {
    await writeHistory(box.root, [
      {
        address: '9.9.9.9',
        proto: 'udp',
        port: 53,
        rule: 'dns',
        packets: 42,
        firstSeen: '2026-01-02T08:00:00.000Z',
        lastSeen: '2026-01-05T13:04:00.000Z',
      },
      {
        who: 'hello',
        verdict: 'blocked',
        address: '203.0.113.9',
        port: 8443,
        packets: 3,
        firstSeen: '2026-01-03T10:00:00.000Z',
        lastSeen: '2026-01-04T11:30:00.000Z',
      },
      { address: '2001:db8::5', rule: 'repositories', packets: 7 },
    ]);
    const app = renderApp(sourcesFor(box.root));
    await frameWith(app, 'Memory');
    await type(app, '6');
    const frame = await frameWith(app, 'Outbound (3)');
    const lines = frame.split('\n');
    const row = (text: string) => lines.find((l) => l.includes(text)) ?? '';
    expect(frame).toContain('[6 Outbound]');
    expect(row('203.0.113.9')).toMatch(
      /hello +tcp 203\.0\.113\.9:8443 +3 +01-03 10:00 +01-04 11:30 +blocked/,
    );
    expect(row('9.9.9.9')).toMatch(/box +udp 9\.9\.9\.9:53 +42 +01-02 08:00 +01-05 13:04 +allowed \(dns\)/);
    expect(row('2001:db8::5')).toMatch(/tcp \[2001:db8::5\]:443 .*allowed \(repositories\)/);
    // Blocked first, then the most recently seen.
    expect(lines.indexOf(row('203.0.113.9'))).toBeLessThan(lines.indexOf(row('9.9.9.9')));
    expect(lines.indexOf(row('9.9.9.9'))).toBeLessThan(lines.indexOf(row('2001:db8::5')));
    expect(frame).toContain('history only');
    expect(frame).toContain('1 blocked, 2 allowed destination(s).');
    // The search filters like every list.
    await type(app, '/', 'blocked', '\r');
    expect(await frameWith(app, 'Outbound (1 of 3)')).not.toContain('9.9.9.9');
    app.unmount();
  });

  it('shows control characters from the history as text, never to the terminal', async () => {
    await writeHistory(box.root, [
      { who: 'evil\x1b[2J', address: '192.0.2.7\x1b]0;owned\x07', verdict: 'blocked' },
    ]);
    const app = renderApp(sourcesFor(box.root));
    await frameWith(app, 'Memory');
    await type(app, '6');
    const frame = await frameWith(app, 'Outbound (1)');
    expect(frame).toContain('evil\\x1b[');
    expect(frame).toContain('192.0.2.7\\x1b]0;');
    expect(frame).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    app.unmount();
  });

  it('says there is no history yet when nothing was contacted', async () => {
    const app = renderApp(sourcesFor(box.root));
    await frameWith(app, 'Memory');
    await type(app, '6');
    expect(await frameWith(app, 'Outbound (0)')).toContain('0 blocked, 0 allowed destination(s).');
    app.unmount();
  });
});
