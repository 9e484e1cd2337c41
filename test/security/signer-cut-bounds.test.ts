/**
 * REVIEW18 on CONSOLE11's 18ebeb9c (the wizard's signer lines cut between graphemes): whatever a
 * key's user ID holds (tags, selectors, joiners, flags, accents, unassigned code points, a megabyte
 * of one grapheme), the cut keeps at most 70 code points, whole graphemes only, as a prefix of the
 * ID, and costs time in proportion to the ID. The cut is of the raw ID, escaped only when painted
 * (Setup.tsx shownLine), so no escape can be split by it.
 */
import { describe, expect, it } from 'vitest';
import { REPOSITORY_STEPS } from '../../src/core/setup/wizard-repository-steps.js';
import type { Draft, WizardEnv } from '../../src/core/setup/wizard-types.js';

const trust = REPOSITORY_STEPS.find((s) => s.id === 'repoTrust')!;
const signer = (id: string) =>
  trust.notes!(
    {
      repoUrl: 'https://repo.example',
      repoKey: { fingerprint: 'AB'.repeat(20), userIds: [id], uncertified: 0 },
    } as unknown as Draft,
    {} as WizardEnv,
  )
    .find((l) => l.startsWith('Signer: '))!
    .slice('Signer: '.length);

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const boundaries = (s: string) => new Set([...graphemes.segment(s)].map((g) => g.index));

const HOSTILE = [
  `Alice ${'\u{e0041}'.repeat(500)}`,
  `${'🇩🇪'.repeat(60)}`,
  `${'e\u0301'.repeat(60)}`,
  `x${'\ufe0f\u200d'.repeat(300)}`,
  `${'a'.repeat(69)}👩‍👩‍👧‍👦 Family`,
  `${'\u0378'.repeat(100)}`,
  `${'a\u034f\u180b'.repeat(40)}`,
];

describe("the wizard's signer cut", () => {
  for (const id of HOSTILE)
    it(`keeps at most 70 code points, whole graphemes, a prefix (${JSON.stringify(id.slice(0, 12))}…)`, () => {
      const cut = signer(id);
      expect(cut.endsWith('…')).toBe(true);
      const kept = cut.slice(0, -1);
      expect([...kept].length).toBeLessThanOrEqual(70);
      expect(id.startsWith(kept)).toBe(true);
      // Cut where a grapheme ends (or nothing kept): never inside a flag, an accent, a sequence.
      expect(kept.length === id.length || boundaries(id).has(kept.length)).toBe(true);
    });

  it('a megabyte of one grapheme is cut in time in proportion to it', () => {
    const id = `x${'\ufe0f'.repeat(1_000_000)}`;
    const t = performance.now();
    expect(signer(id)).toBe('…');
    expect(performance.now() - t).toBeLessThan(5_000);
  });
});
