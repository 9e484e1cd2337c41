/**
 * `blueprint status` said nothing of the OS itself (its version, which A/B slot runs and which
 * boots next) nor of egress (default deny, what may go out). The two lines every front end shows
 * (CLI text, the console's Dashboard, the web overview), from src/present/host.ts.
 */
import { describe, expect, it } from 'vitest';
import type { EgressSummary, SystemSummary } from '../../src/app/index.js';
import { egressLine, systemLine } from '../../src/present/host.js';

const sys = (over: Partial<SystemSummary> = {}): SystemSummary => ({
  version: '1.4.2',
  bootedSlot: 'A',
  nextSlot: 'B',
  slotsAvailable: true,
  ...over,
});
const egress = (destinations: string[], over: Partial<EgressSummary> = {}): EgressSummary => ({
  policy: 'deny',
  destinations,
  ...over,
});

describe('the system line', () => {
  it('the version, the slot booted and the one that boots next', () => {
    expect(systemLine(sys())).toBe('version 1.4.2, slot A booted, B boots next');
    expect(systemLine(sys({ nextSlot: 'A' }))).toBe('version 1.4.2, slot A booted and boots next');
  });

  it('slots RAUC cannot tell: unknown (why), the version still shown', () => {
    const unread = sys({
      bootedSlot: null,
      nextSlot: null,
      slotsAvailable: false,
      slotsUnavailable: { code: 'rauc-timeout', message: 'RAUC did not answer within 5 s' },
    });
    expect(systemLine(unread)).toBe('version 1.4.2, slots unknown (RAUC did not answer within 5 s)');
    expect(systemLine({ ...unread, version: null })).toMatch(/^version unknown, slots unknown \(/);
  });

  it('a box without A/B slots (no rauc, no RAUC configuration) says so, not that they are unknown', () => {
    const none = sys({
      bootedSlot: null,
      nextSlot: null,
      slotsAvailable: false,
      slotsAbsent: true,
      slotsUnavailable: {
        code: 'rauc-missing',
        message: 'this box has no A/B slots: `rauc` is not installed',
      },
    });
    expect(systemLine(none)).toBe('version 1.4.2, no A/B slots');
  });

  it('text from RAUC or the version file cannot paint lines of its own', () => {
    const line = systemLine(
      sys({
        version: '1.0\x1b[2J',
        slotsAvailable: false,
        bootedSlot: null,
        nextSlot: null,
        slotsUnavailable: { code: 'rauc-unavailable', message: 'bad\nline' },
      }),
    );
    expect(line).not.toMatch(/[\x00-\x1f]/);
  });
});

describe('the egress line', () => {
  it('default deny, the count and the first few, "…" and where the whole list is', () => {
    const all = ['*:53', '0.debian.pool.ntp.org:123', '1.debian.pool.ntp.org:123', 'repo.example.org:443'];
    expect(egressLine(egress(all))).toBe(
      'default deny; 4 allowed out: *:53, 0.debian.pool.ntp.org:123, 1.debian.pool.ntp.org:123, … (all: blueprint --json status)',
    );
    expect(egressLine(egress(all.slice(0, 2)))).toBe(
      'default deny; 2 allowed out: *:53, 0.debian.pool.ntp.org:123',
    );
  });

  it('nothing allowed (before setup), no firewall, rules of someone else, unreadable', () => {
    expect(egressLine(egress([]))).toBe('default deny; nothing allowed out');
    expect(egressLine(egress(['a:1'], { policy: 'none' }))).toBe(
      'not restricted (no firewall rules at etc/nftables.conf)',
    );
    expect(egressLine(egress([], { policy: 'other' }))).toBe('firewall rules not managed by blueprint');
    expect(egressLine(egress([], { error: 'network.json holds choices\nsetup refuses' }))).toBe(
      'default deny; allowed out unknown (network.json holds choices\\x0asetup refuses)',
    );
  });

  it('within a width (the console): as many as fit, the count kept; the pointer where one still fits', () => {
    const all = ['deb.debian.org:80', 'security.debian.org:80', 'a-rather-long-host-name.example.org:443'];
    expect(egressLine(egress(all), 90)).toBe(
      'default deny; 3 allowed out: deb.debian.org:80, … (all: blueprint --json status)',
    );
    for (const width of [60, 67]) {
      const line = egressLine(egress(all), width);
      expect(line.length).toBeLessThanOrEqual(width);
      expect(line).toBe('default deny; 3 allowed out: deb.debian.org:80, …');
    }
    // Not even one fits: the count and "…".
    expect(egressLine(egress(['x'.repeat(80)]), 60)).toBe('default deny; 1 allowed out: …');
    // All fit: all, no "…".
    expect(egressLine(egress(['a:1', 'b:2']), 40)).toBe('default deny; 2 allowed out: a:1, b:2');
  });

  it('hosts are escaped', () => {
    expect(egressLine(egress(['a\x1b[31m:1']))).not.toMatch(/[\x00-\x1f]/);
  });
});
