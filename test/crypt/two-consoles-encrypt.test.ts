/**
 * The wizard runs on the console and the serial line at once (QA18). Both may answer the summary
 * `y` within the same few seconds, and each encrypts the blank data partition: nothing kept two
 * encryptions of one device apart. The second's luksFormat went over the first's header, and each
 * console showed a recovery key: the one of the two that was overwritten opens nothing, yet its
 * admin keeps it as the only way in should the TPM or passphrase fail. One encryption at a time
 * now: the second finds the first's volume in crypttab and is refused (already-encrypted), and the
 * one key shown opens the partition.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptDevice } from '../../src/core/crypt/index.js';
import { tempDir } from '../setup/temp-registry.js';
import { canLoop, detach, loopDevice, opens } from './loop-helpers.js';

describe.skipIf(!canLoop)('two consoles encrypt the data partition at once', () => {
  let dir: string;
  let dev = '';
  beforeAll(async () => {
    dir = tempDir('bp-crypt-two-');
    dev = await loopDevice(dir, 'data.img');
  });
  afterAll(() => {
    if (dev) detach(dev);
  });

  it('one encrypts, the other is refused; the key shown opens the partition', async () => {
    const crypttab = path.join(dir, 'root/etc/crypttab');
    const one = (passphrase: string) =>
      encryptDevice({ device: dev, name: 'data', mode: 'passphrase', passphrase, crypttab, fastKdf: true });
    const results = await Promise.allSettled([one('console pass 1'), one('serial pass 22')]);
    const done = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as { code?: string }] : []));
    expect(done).toHaveLength(1);
    expect(opens(dev, done[0]!.recoveryKey)).toBe(true);
    expect(refused.map((e) => e.code)).toEqual(['already-encrypted']);
  });
});
