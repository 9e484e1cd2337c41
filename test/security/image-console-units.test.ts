/**
 * What someone at the box's console or serial line meets, from the image's own units.
 *
 * The first-boot wizard (blueprint-setup@tty1, @ttyS0, @ttyAMA0 on arm64) and headless setup from a
 * BLUEPRINT stick run as root, with no login, while /var/lib/blueprint/setup-done is absent. On an
 * A/B box that marker lives on /data: when the data partition is not opened (five empty lines at
 * the recovery-key prompt of an encrypted box, or a damaged one), the box boots its read-only slot,
 * where no marker exists, and the wizard came up as root on the console of a set-up box; headless
 * setup would have run any BLUEPRINT stick's answers. Only the read-only /var stopped their writes
 * (setup's lock is the first). They now run only where setup can write: /var read-write.
 *
 * The tty1 dashboard answers anyone at the keyboard once set up; it runs as a throwaway user with
 * no capabilities in a read-only system. It also gets no view of other users' processes (their
 * command lines) or the kernel log, no personality change, realtime, namespaces or
 * non-native system calls: nothing it shows needs them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const unit = (rel: string) => {
  const settings = new Map<string, string[]>();
  for (const raw of readFileSync(new URL(`../../image/${rel}`, import.meta.url), 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('[')) continue;
    const eq = line.indexOf('=');
    settings.set(line.slice(0, eq), [...(settings.get(line.slice(0, eq)) ?? []), line.slice(eq + 1)]);
  }
  return settings;
};

describe('the units that run as root on the console before setup', () => {
  it.each([
    'overlay/etc/systemd/system/blueprint-setup@.service',
    'overlay/etc/systemd/system/blueprint-provision.service',
  ])('%s: only where setup can write its marker (not a slot booted without its data)', (rel) => {
    const u = unit(rel);
    expect(u.get('ConditionPathExists')).toContain('!/var/lib/blueprint/setup-done');
    expect(u.get('ConditionPathIsReadWrite') ?? []).toContain('/var');
  });
});

describe('the wizard on a line that hangs up (QA18)', () => {
  // A SIGHUP killed it (a oneshot counts no signal as clean unless listed), and the getty, ordered
  // after it, took the line: a login prompt that takes nobody until the next boot. Now it starts
  // again; Ctrl-C (130) and the stop once set up (SIGTERM) stay clean, so they restart nothing.
  const u = unit('overlay/etc/systemd/system/blueprint-setup@.service');
  it('restarts when killed by a signal, not after a clean end', () => {
    expect(u.get('Restart')).toEqual(['on-abnormal']);
    expect(u.get('SuccessExitStatus')).toEqual(['130 SIGTERM 5']);
    expect(u.get('Type')).toEqual(['oneshot']);
  });
  // The wizard that lost the race to the other console ends with 5 (set up meanwhile, its setup
  // not applied: WIZ2): the box is set up, the getty follows; not a failed unit, not a restart.
  it('counts "set up meanwhile" (5) as a clean end', () => {
    expect((u.get('SuccessExitStatus') ?? []).join(' ').split(' ')).toContain('5');
  });
});

describe('the tty1 dashboard, which anyone at the keyboard drives', () => {
  const u = unit('overlay/etc/systemd/system/blueprint-dashboard.service');
  it('keeps its sandbox: throwaway user, no capabilities, read-only system', () => {
    for (const [k, v] of Object.entries({
      DynamicUser: 'yes',
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      CapabilityBoundingSet: '',
    })) {
      expect(u.get(k), k).toEqual([v]);
    }
  });

  it('sees no other user’s process or the kernel log, and makes no namespace', () => {
    for (const [k, v] of Object.entries({
      ProtectProc: 'invisible',
      ProtectKernelLogs: 'yes',
      LockPersonality: 'yes',
      RestrictRealtime: 'yes',
      RestrictNamespaces: 'yes',
      SystemCallArchitectures: 'native',
      UMask: '0077',
    })) {
      expect(u.get(k), k).toEqual([v]);
    }
  });
});
