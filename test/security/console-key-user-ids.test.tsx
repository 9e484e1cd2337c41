/**
 * REVIEW11: a trusted key's user IDs (the key holder's own words, certified by the key itself) on
 * the console's Keys screen. A user ID is any UTF-8 an OpenPGP key carries: line breaks, C1
 * controls (U+009B is a one-character CSI on many terminals), bidi overrides, and any length. On the
 * screen each is one row, its controls shown as visible text, and no row is wider than the screen.
 */
import { describe, expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { consoleSize, frameWith, renderApp, sourcesFor, type } from '../tui/helpers.js';

const box = boxPerTest('console-key-uids');

const FPR = 'AAAABBBBCCCCDDDDEEEEFFFF0000111122223333';

describe("the console's Keys screen shows a key's user IDs as text", () => {
  it('line breaks, C1 controls, bidi overrides and a 10,000-character ID stay in one row', async () => {
    const hostile = [
      'C\u009b2J',
      'R\u202eL',
      'Evil\nFAKE 1234 5678 trusted for main',
      'L'.repeat(10_000),
    ].join(', ');
    const app = renderApp(
      sourcesFor(box.root, {
        keys: async () => ({
          available: true,
          value: [{ fingerprint: FPR, name: hostile, repositories: ['main'], revoked: false }],
        }),
      }),
    );
    consoleSize(app, 100, 30);
    await type(app, '4');
    const frame = await frameWith(app, 'Trusted signing keys');
    for (const line of frame.split('\n')) {
      expect(line.trimStart().startsWith('FAKE')).toBe(false);
      expect(line.length, line).toBeLessThanOrEqual(100);
    }
    expect(frame).not.toMatch(/[\u0080-\u009f\u202a-\u202e\u2066-\u2069]/);
    // The whole fingerprint shows, on the row that names the key (not cut for the long ID).
    const row = frame.split('\n').find((l) => l.includes('Evil')) ?? '';
    expect(row).toContain('AAAA BBBB CCCC DDDD EEEE FFFF 0000 1111 2222 3333');
    expect(frame).toMatch(/\\x9b2J/);
    expect(frame).toMatch(/\\u\{202e\}/);
    app.unmount();
  });
});
