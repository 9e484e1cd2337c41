import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nftablesRules } from '../../src/core/setup/configs.js';
import { egressDestinations } from '../../src/core/setup/egress.js';
import { DEFAULT_NETWORK } from '../../src/core/setup/schema.js';

/**
 * The image ships, before setup, the firewall setup writes for a box with nothing chosen yet
 * (image/README.md, "Before setup"); configure.sh fills in systemd-resolved's uid. The built
 * image is checked by test/image/presetup.test.ts (`npm run test:image`); this keeps the source
 * file in step with nftablesRules on every `npm test`, so a change to the rules reaches both.
 */
describe("the image's /etc/nftables.conf", () => {
  it('is the rule set setup writes for a box with nothing chosen, the resolver uid left to configure.sh', () => {
    const PRE_SETUP = { ...DEFAULT_NETWORK, ntp: 'none' as const, unattendedUpgrades: false };
    const uid = 4_000_000_001; // no other number in the rules looks like it
    const want = nftablesRules({ ssh: { enabled: false, port: 22 } }, egressDestinations(PRE_SETUP, []), {
      resolverUid: uid,
    }).replaceAll(`skuid ${uid} `, 'skuid @RESOLVER_UID@ ');
    const file = readFileSync(new URL('../../image/overlay/etc/nftables.conf', import.meta.url), 'utf8');
    expect(file).toBe(want);
  });
});
