/**
 * A partial description must not lock the admin out. `blueprint apply -f` of a file with only
 * `hostname:` and `modules:` deleted etc/sudoers.d/50-blueprint ("no admins: no sudo rule") and
 * turned SSH off (the ssh.service link, the firewall's port), although docs/fleet.md says what a
 * file does not name is left alone: the admin made earlier kept the account but, having no
 * password, lost sudo, and SSH went off. Left out, `users:` and `ssh:` are now not managed by that
 * file. An explicit `users: []` that would take the last admin's sudo rule away is refused.
 */
import { lstat, readFile, readlink } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { applyPlan, pendingChanges, planSetup, specSchema } from '../../src/core/setup/index.js';
import { boxPerTest } from '../helpers/roots.js';
import { consolePasswordHash, sshPublicKey } from './helpers.js';

const box = boxPerTest('partial');
const at = box.at;
const planOf = (spec: object) => planSetup(box.root, specSchema.parse(spec), []);

const SUDOERS = 'etc/sudoers.d/50-blueprint';
const DROP_IN = 'etc/ssh/sshd_config.d/50-blueprint.conf';
const SSH_ON = 'etc/systemd/system/multi-user.target.wants/ssh.service';

async function setUp() {
  const full = specSchema.parse({
    hostname: 'box-01',
    users: [{ name: 'ops', keys: [sshPublicKey('ops@fleet')] }],
    ssh: { enabled: true, port: 2222 },
  });
  await applyPlan(await planSetup(box.root, full, []));
  return {
    sudo: await readFile(at(SUDOERS), 'utf8'),
    dropIn: await readFile(at(DROP_IN), 'utf8'),
    nft: await readFile(at('etc/nftables.conf'), 'utf8'),
  };
}

describe('apply -f with users: and ssh: left out', () => {
  it('keeps the sudo rule, AllowUsers and SSH on; the dry run plans no change to them', async () => {
    const before = await setUp();
    expect(before.sudo).toContain('ops ALL=(ALL:ALL) NOPASSWD: ALL');
    const partial = specSchema.parse({ hostname: 'box-02', modules: [] });
    const plan = await planSetup(box.root, partial, []);
    expect(plan.blocked).toEqual([]);
    const touched = pendingChanges(plan).map((c) => c.target);
    expect(touched).toContain('etc/hostname');
    for (const p of [SUDOERS, DROP_IN, SSH_ON, 'etc/nftables.conf', 'etc/passwd', 'etc/group'])
      expect(touched).not.toContain(p);
    await applyPlan(plan);
    expect(await readFile(at(SUDOERS), 'utf8')).toBe(before.sudo);
    expect(await readFile(at(DROP_IN), 'utf8')).toBe(before.dropIn);
    expect(await readFile(at('etc/nftables.conf'), 'utf8')).toBe(before.nft);
    expect(await readlink(at(SSH_ON))).toBe('/lib/systemd/system/ssh.service');
    expect(await readFile(at('etc/hostname'), 'utf8')).toBe('box-02\n');
    // Applied again: nothing to do.
    expect(pendingChanges(await planSetup(box.root, partial, []))).toEqual([]);
  });

  it('ssh: given with users: left out: the port changes, the admins stay allowed', async () => {
    await setUp();
    const plan = await planOf({ hostname: 'box-01', ssh: { enabled: true } });
    expect(plan.blocked).toEqual([]);
    await applyPlan(plan);
    const dropIn = await readFile(at(DROP_IN), 'utf8');
    expect(dropIn).toContain('\nAllowUsers ops\n');
    expect(dropIn).not.toContain('Port 2222');
    expect(await readFile(at(SUDOERS), 'utf8')).toContain('ops ALL=(ALL:ALL) NOPASSWD: ALL');
  });

  it('users: [] that takes the last admin sudo rule away: refused, nothing written', async () => {
    await setUp();
    const plan = await planOf({ hostname: 'box-01', users: [] });
    expect(plan.blocked.join('\n')).toMatch(/users: \[\] takes passwordless sudo from ops/);
    await expect(lstat(at(SUDOERS))).resolves.toBeTruthy();
  });

  it('ssh: on with users: left out, on a box with no admin: refused by the plan', async () => {
    const plan = await planOf({ hostname: 'box-01', ssh: { enabled: true } });
    expect(plan.blocked.join('\n')).toContain('SSH is on, but no admin would be allowed to log in');
  });

  it('a fresh root with users: and ssh: left out: no sudo rule, SSH off, as before', async () => {
    const plan = await planOf({ hostname: 'box-01' });
    expect(plan.blocked).toEqual([]);
    await applyPlan(plan);
    await expect(lstat(at(SUDOERS))).rejects.toThrow(/ENOENT/);
    await expect(lstat(at(SSH_ON))).rejects.toThrow(/ENOENT/);
    expect(await readFile(at('etc/nftables.conf'), 'utf8')).not.toMatch(/tcp dport \d+ ct state new/);
  });
});

describe('SSH off at setup, turned on later (the wizard says the key serves then: WIZ2)', () => {
  it("apply with ssh: on and users: left out lets the admin in with setup's key", async () => {
    const key = sshPublicKey('ops@laptop');
    const offAtSetup = specSchema.parse({
      hostname: 'box-01',
      users: [{ name: 'ops', keys: [key], passwordHash: consolePasswordHash() }],
      ssh: { enabled: false },
    });
    await applyPlan(await planSetup(box.root, offAtSetup, []));
    await expect(lstat(at(SSH_ON))).rejects.toThrow(/ENOENT/);
    expect(await readFile(at('home/ops/.ssh/authorized_keys'), 'utf8')).toContain(key.split(' ')[1]);
    const plan = await planOf({ hostname: 'box-01', ssh: { enabled: true } });
    expect(plan.blocked).toEqual([]);
    await applyPlan(plan);
    expect(await readlink(at(SSH_ON))).toBe('/lib/systemd/system/ssh.service');
    expect(await readFile(at(DROP_IN), 'utf8')).toContain('\nAllowUsers ops\n');
    expect(await readFile(at('home/ops/.ssh/authorized_keys'), 'utf8')).toContain(key.split(' ')[1]);
  });
});
