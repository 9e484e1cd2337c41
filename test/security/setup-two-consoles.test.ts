import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/core/errors.js';
import { type ApplianceSpec, applyPlan, planSetup, specSchema } from '../../src/core/setup/index.js';
import { boxPerTest } from '../helpers/roots.js';
import { sshPublicKey } from '../setup/helpers.js';

/**
 * The first-boot wizard runs on tty1 and on the serial line at once. When one finishes, the image
 * stops the other (blueprint-setup-done.service), a few seconds later. A plan the other console
 * made before the box was set up, applied in that window, replaced what the admin had just set
 * up: its host name, its admin account and SSH keys (someone at the serial line waiting with a
 * finished wizard got their key in). A plan made on a box not yet set up is now refused, under
 * the setup lock, once the box has been set up meanwhile; nothing of it is written.
 */
const box = boxPerTest('two-consoles');

const spec = (hostname: string, user: string, key: string): ApplianceSpec =>
  specSchema.parse({ hostname, users: [{ name: user, keys: [key] }] });

describe('two consoles setting up one box', () => {
  it("a plan made before the box was set up is refused once it is: the admin's setup stays", async () => {
    const admin = sshPublicKey('admin@laptop');
    const intruder = sshPublicKey('intruder@serial');
    // Both consoles reach their review step on a box not yet set up.
    const serial = await planSetup(box.root, spec('serial-box', 'eve', intruder), []);
    const console = await planSetup(box.root, spec('box-01', 'admin', admin), []);
    await applyPlan(console);
    const outcome = await applyPlan(serial).then(
      () => 'applied',
      (err: unknown) => err,
    );
    expect(outcome).toBeInstanceOf(ConflictError);
    expect((outcome as ConflictError).code).toBe('set-up-meanwhile');
    expect(await readFile(box.at('etc/hostname'), 'utf8')).toBe('box-01\n');
    expect(await readFile(box.at('etc/passwd'), 'utf8')).not.toContain('eve');
  });

  it('setup applied again on a set-up box (answers, apply -f) still works (control)', async () => {
    await applyPlan(await planSetup(box.root, spec('box-01', 'admin', sshPublicKey()), []));
    await applyPlan(await planSetup(box.root, spec('box-02', 'admin', sshPublicKey()), []));
    expect(await readFile(box.at('etc/hostname'), 'utf8')).toBe('box-02\n');
  });
});
