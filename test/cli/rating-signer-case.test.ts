/**
 * The security rating's signature line (`blueprint service status NAME`, inspect, the console and
 * the dashboard) named the signer in the keyring's lower case, 'package signed by a8b3…', where
 * every other place a person reads a fingerprint (key add, repo add, key list, install's verified
 * line) shows it upper case as GnuPG prints it: the same key looked like two. So did `system update
 * --from REPO`'s 'package signed by …'. Now upper case too; --json keeps the data as it was (lower
 * case, as the keyring).
 */
import { describe, expect, it } from 'vitest';
import type { RatingItem } from '../../src/app/index.js';
import { reasonText } from '../../src/present/rating.js';
import { formatInstall } from '../../src/present/update.js';

const FPR = 'a8b35743926465f092a0c29a28f407eedec99ade';

describe('the rating names the signer as every other fingerprint', () => {
  it('upper case, as key list shows it', () => {
    const item = { code: 'signed', points: 1, source: 'package', data: { signer: FPR } } as RatingItem;
    expect(reasonText(item)).toBe(`package signed by ${FPR.toUpperCase()}`);
  });

  it('the build-time wording unchanged', () => {
    const item = {
      code: 'signed',
      points: 1,
      source: 'manifest',
      data: { signer: 'at-build' },
    } as RatingItem;
    expect(reasonText(item)).toContain('will be signed by `blueprint repo build`');
  });
});

describe('system update from a repository names its signer as every other fingerprint', () => {
  it('upper case', () => {
    const text = formatInstall({
      bundle: { compatible: 'blueprint', version: '2' },
      slot: { bootname: 'B' },
      from: '1',
      forced: false,
      package: { repo: 'updates', signer: FPR },
    } as unknown as Parameters<typeof formatInstall>[0]);
    expect(text).toContain(`From repository updates: package signed by ${FPR.toUpperCase()};`);
  });
});
