import { describe, expect, it } from 'vitest';
import { appFromTwoSigners } from '../helpers/bpkg-box.js';
import { bpkg } from '../helpers/pkg.js';

/**
 * `bpkg rollback` made the kept version current with the newer one's origin and signer (QA11's
 * walk): after an upgrade signed by another key, the rolled-back version showed as signed by it
 * in `bpkg list`, the dashboard and the service rating, and upgraded from the newer one's
 * repository. Each kept version keeps where it came from and who signed it, both ways.
 */
describe('bpkg rollback: origin and signer', () => {
  it('the rolled-back version is shown as signed by its own key, and back again', async () => {
    const { root, first: main, next: other, ok: add } = await appFromTwoSigners('bp-rbsig-', 'other');
    expect(main.key.fingerprint).not.toBe(other.key.fingerprint);
    const entry = async () =>
      JSON.parse((await bpkg(root, ['list', '--json'])).stdout).find(
        (p: { name: string }) => p.name === 'app',
      );
    expect(await entry()).toMatchObject({ version: '2.0.0', origin: 'other', signer: other.key.fingerprint });
    await add('rollback', 'app', '--yes');
    expect(await entry()).toMatchObject({ version: '1.0.0', origin: 'main', signer: main.key.fingerprint });
    await add('rollback', 'app', '--yes');
    expect(await entry()).toMatchObject({ version: '2.0.0', origin: 'other', signer: other.key.fingerprint });
  });
});
