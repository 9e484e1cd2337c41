/**
 * REVIEW13 (attack on eaf8d278, the console's selection by row key): the Outbound screen keys a
 * row by `WHO DESTINATION`, but the audit keeps one flow per who, verdict, address, protocol and
 * port (egress-audit.ts keyOf): a destination blocked before the admin approved it and allowed
 * after is two rows with one key. The selection then follows the key to its first row: j from the
 * blocked row lands on the allowed one and is sent back at once, so that row and every row under
 * it can no longer be reached with j or Down (nor opened with Enter). Through the real screen,
 * over the history on disk.
 */
import { describe, expect, it } from 'vitest';
import { writeHistory } from '../helpers/outbound-history.js';
import { boxPerTest } from '../helpers/roots.js';
import { frameWith, renderApp, sourcesFor, type } from '../tui/helpers.js';

const box = boxPerTest('review13-outbound-key');

describe('console Outbound: the same destination blocked then allowed', () => {
  it('j walks through both rows and on to the rows under them', async () => {
    await writeHistory(box.root, [
      // Blocked before the approval, allowed after: two flows, one WHO DESTINATION.
      {
        who: 'hello',
        verdict: 'blocked',
        address: '203.0.113.9',
        port: 8443,
        lastSeen: '2026-01-04T11:30:00.000Z',
      },
      {
        who: 'hello',
        address: '203.0.113.9',
        port: 8443,
        rule: 'module hello',
        lastSeen: '2026-01-05T11:30:00.000Z',
      },
      { address: '9.9.9.9', proto: 'udp', port: 53, rule: 'dns', lastSeen: '2026-01-03T11:30:00.000Z' },
    ]);
    const app = renderApp(sourcesFor(box.root));
    await frameWith(app, 'Memory');
    await type(app, '6');
    await frameWith(app, 'Outbound (3)');
    await frameWith(app, /> hello +tcp 203\.0\.113\.9:8443 .*blocked/);
    await type(app, 'j');
    expect(await frameWith(app, /> hello +tcp 203\.0\.113\.9:8443 .*allowed/, 50)).toMatch(
      /> hello +tcp 203\.0\.113\.9:8443 .*allowed/,
    );
    await type(app, 'j');
    expect(await frameWith(app, /> box +udp 9\.9\.9\.9:53/, 50)).toMatch(/> box +udp 9\.9\.9\.9:53/);
    // Enter opens the row the cursor is on.
    await type(app, '\r');
    expect(await frameWith(app, 'Verdict: allowed (dns)', 50)).toContain('Destination: udp 9.9.9.9:53');
    app.unmount();
  }, 60_000);
});
