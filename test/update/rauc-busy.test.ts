// RAUC's service does one thing at a time: while it installs a bundle (a `system update` in
// another SSH session, the dashboard's), `rauc status` fails with what RAUC 1.8 printed in QA7's
// walk against the real service (test/update/rauc-sandbox.ts), recorded below. That was said as
// "Update slots: unavailable ... Is this a box with A/B slots? Check `systemctl status rauc`",
// and a second `system update` failed with exit 1 and the same hint: the admin was sent looking
// for a broken box while an update was being written. Busy is said as busy, exit 5 (a lock).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeContext } from '../../src/app/context.js';
import { systemOps } from '../../src/app/update.js';
import { formatSystemReport } from '../../src/present/update.js';

const BUSY = {
  code: 1,
  stdout: '',
  stderr:
    'Error retrieving slot status via D-Bus: error calling D-Bus method "GetSlotStatus": already processing a different method\n',
};
const busyRauc = { run: async () => BUSY };

describe('RAUC busy installing', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'bp-rauc-busy-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const ops = () => systemOps(makeContext(root, {}), busyRauc);

  it('system status shows the version and says RAUC is busy with an update, not a box without slots', async () => {
    const r = await ops().report();
    expect(r).toMatchObject({ slotsAvailable: false, slotsUnavailable: { code: 'rauc-busy' } });
    const text = formatSystemReport(r);
    expect(text).toMatch(/busy/);
    expect(text).not.toMatch(/Is this a box with A\/B slots|systemctl status rauc/);
  });

  it('system update and rollback are refused as busy, exit 5, with when to run them again', async () => {
    const file = path.join(root, 'b.raucb');
    writeFileSync(file, 'x');
    for (const act of [() => ops().update(file), () => ops().rollback()])
      await expect(act()).rejects.toMatchObject({
        code: 'rauc-busy',
        exitCode: 5,
        hint: expect.stringMatching(/run the command again/),
      });
  });
});
