/**
 * The console wizard's "Trust the repository key?" lists a key's own user IDs as `bpkg key add`
 * does (PKGIDEM's 9224b3c8): at most five, then "and N more", each cut. Listed whole, a key of 40
 * self-certified IDs (or one of 4,000 characters) filled an 80x24 screen and the note counting the
 * IDs the key did not certify (one grafted on: Debian's name) fell off its bottom; the fingerprint
 * stayed (security/wizard-key-fingerprint-in-view), the count did not.
 */
import { describe, expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { selfNamedKeyDebianGrafted } from '../helpers/self-named-key.js';
import { wizardTrustQuestion } from './helpers.js';

const box = boxPerTest('ink-key-many-ids');

describe("the wizard's key-trust question lists a key's user IDs as bpkg key add does", () => {
  it('five of 40, then "and 35 more", and the uncertified count stays on screen', async () => {
    const file = await selfNamedKeyDebianGrafted(Array.from({ length: 40 }, (_, i) => `Mirror ${i}`));
    const frame = await wizardTrustQuestion(box.root, file, 'and 35 more user IDs');
    expect(frame).toContain('Signer: Mirror 4');
    expect(frame).not.toContain('Signer: Mirror 5');
    expect(frame).toContain('1 other user ID is not shown');
    expect(frame).not.toContain('Debian Archive');
    expect(frame.split('\n').length).toBeLessThanOrEqual(24);
  }, 30_000);

  it('a 4,000-character user ID is cut, and the uncertified count stays on screen', async () => {
    const file = await selfNamedKeyDebianGrafted(['Mirror archive '.repeat(266)]);
    const frame = await wizardTrustQuestion(box.root, file, '1 other user ID is not shown');
    expect(frame).toMatch(/Signer: (Mirror archive ){4}.*…/);
    expect(frame.split('\n').length).toBeLessThanOrEqual(24);
  }, 30_000);
});
