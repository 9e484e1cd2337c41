/**
 * The wizard's key-trust step lists a key's user IDs each cut to 70 code points with an ellipsis
 * (src/core/setup/wizard-repository-steps.ts cutSigner). Cut by code points it split what is drawn
 * as one character: a flag's two regional indicators (🇩🇪 became 🇩, a letter D in a box), a letter
 * and its accent (é became e: another name than the key's). It cuts between graphemes now, at most
 * 70 code points kept, so a run of thousands of variation selectors (one grapheme) is still cut.
 */
import { describe, expect, it } from 'vitest';
import { REPOSITORY_STEPS } from '../../src/core/setup/wizard-repository-steps.js';
import type { Draft, WizardEnv } from '../../src/core/setup/wizard-types.js';

const trust = REPOSITORY_STEPS.find((s) => s.id === 'repoTrust')!;
const signers = (userIds: string[]) =>
  trust.notes!(
    {
      repoUrl: 'https://repo.example',
      repoKey: { fingerprint: 'AB'.repeat(20), userIds, uncertified: 0 },
    } as unknown as Draft,
    {} as WizardEnv,
  )
    .filter((l) => l.startsWith('Signer: '))
    .map((l) => l.slice('Signer: '.length));

describe("the wizard's signer lines are cut between graphemes", () => {
  const a69 = 'a'.repeat(69);
  it('never inside a flag or a letter with its accent', () => {
    expect(signers([`${a69}🇩🇪 Mirror`, `${a69}e\u0301 Mirror`])).toEqual([`${a69}…`, `${a69}…`]);
    // Where the whole grapheme fits, it is kept.
    expect(signers([`${'a'.repeat(68)}🇩🇪 Mirror`])).toEqual([`${'a'.repeat(68)}🇩🇪…`]);
  });

  it('keeps a user ID of 70 code points whole, and cuts one grapheme of thousands', () => {
    expect(signers(['a'.repeat(70), `x${'\ufe0f'.repeat(4000)}`])).toEqual(['a'.repeat(70), '…']);
  });
});
