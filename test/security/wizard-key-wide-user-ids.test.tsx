/**
 * The wizard's key-trust question cuts each listed user ID to 70 characters (3fdf61d2), counted as
 * code points, not columns: an ID of wide characters (CJK: two columns each) is 140 columns after
 * the cut. A guard (REVIEW12, found sound): the console keeps each note to its line, so five such IDs
 * still leave the count of the IDs the key did not certify on an 80x24 screen.
 */
import { describe, expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { selfNamedKeyDebianGrafted } from '../helpers/self-named-key.js';
import { wizardTrustQuestion } from '../tui/helpers.js';

const box = boxPerTest('ink-key-wide-ids');

describe('wide user IDs at the key-trust question', () => {
  it('five wide IDs of 100 characters (200 columns each): the uncertified count stays on an 80x24 screen', async () => {
    const file = await selfNamedKeyDebianGrafted(
      Array.from({ length: 40 }, (_, i) => `${i} ${'鏡'.repeat(100)}`),
    );
    const frame = await wizardTrustQuestion(box.root, file, 'Trust the repository key?');
    expect(frame).toContain('and 35 more user IDs');
    expect(frame).toContain('1 other user ID is not shown');
    expect(frame.split('\n').length).toBeLessThanOrEqual(24);
  }, 30_000);
});
