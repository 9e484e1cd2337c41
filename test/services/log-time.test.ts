/**
 * `service logs --since/--until WHEN`: the forms `docker logs` and `journalctl --since` take, read
 * into an instant (ms since the epoch) by one pure function; anything else is undefined (the CLI's
 * usage error, exit 2, names the forms).
 */
import { describe, expect, it } from 'vitest';
import { logWindow, parseLogTime } from '../../src/present/log-time.js';

const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);

describe('parseLogTime', () => {
  it('a duration ago, from now: s, m, h, d, ms, fractions, several parts', () => {
    expect(parseLogTime('45s', NOW)).toBe(NOW - 45_000);
    expect(parseLogTime('10m', NOW)).toBe(NOW - 600_000);
    expect(parseLogTime('2h', NOW)).toBe(NOW - 7_200_000);
    expect(parseLogTime('1h30m', NOW)).toBe(NOW - 5_400_000);
    expect(parseLogTime('3d', NOW)).toBe(NOW - 3 * 86_400_000);
    expect(parseLogTime('1.5h', NOW)).toBe(NOW - 5_400_000);
    expect(parseLogTime('500ms', NOW)).toBe(NOW - 500);
    expect(parseLogTime('1d2h3m4s', NOW)).toBe(NOW - (86_400_000 + 7_200_000 + 180_000 + 4000));
  });

  it('RFC 3339: Z, offsets, fractions of a second', () => {
    expect(parseLogTime('2026-12-05T10:00:00Z', NOW)).toBe(Date.UTC(2026, 11, 5, 10));
    expect(parseLogTime('2026-12-05t10:00:00z', NOW)).toBe(Date.UTC(2026, 11, 5, 10));
    expect(parseLogTime('2026-12-05T10:00:00+01:00', NOW)).toBe(Date.UTC(2026, 11, 5, 9));
    expect(parseLogTime('2026-12-05T10:00:00-0230', NOW)).toBe(Date.UTC(2026, 11, 5, 12, 30));
    expect(parseLogTime('2026-12-05T10:00:00.250Z', NOW)).toBe(Date.UTC(2026, 11, 5, 10, 0, 0, 250));
    expect(parseLogTime('2026-12-05T10:00:00.123456789Z', NOW)).toBe(Date.UTC(2026, 11, 5, 10, 0, 0, 123));
    expect(parseLogTime('2026-12-05 10:00:00Z', NOW)).toBe(Date.UTC(2026, 11, 5, 10));
  });

  it('a date-time without a zone is local time (as docker), a date alone local midnight', () => {
    expect(parseLogTime('2026-12-05T10:00:00', NOW)).toBe(new Date(2026, 11, 5, 10).getTime());
    expect(parseLogTime('2026-12-05 10:00', NOW)).toBe(new Date(2026, 11, 5, 10).getTime());
    expect(parseLogTime('2026-12-05T10:00:00.5', NOW)).toBe(new Date(2026, 11, 5, 10, 0, 0, 500).getTime());
    expect(parseLogTime('2026-12-05', NOW)).toBe(new Date(2026, 11, 5).getTime());
  });

  it('a Unix timestamp in seconds, with a fraction too', () => {
    expect(parseLogTime('1764928800', NOW)).toBe(1_764_928_800_000);
    expect(parseLogTime('1764928800.5', NOW)).toBe(1_764_928_800_500);
    expect(parseLogTime('0', NOW)).toBe(0);
  });

  it('anything else, or a calendar time out of range: undefined', () => {
    for (const bad of [
      '',
      'yesterday',
      '10x',
      '-10m',
      'm',
      '1h 30m',
      '2026-13-01',
      '2026-02-30T10:00:00Z',
      '2026-12-05T25:00:00',
      '2026-12-05T10:61:00Z',
      '2026-12-05Z',
      '2026-12-05T10:00:00+25:00',
      '2026/12/05',
      '1764928800e3',
    ])
      expect(parseLogTime(bad, NOW), bad).toBeUndefined();
  });

  it('logWindow: both options read, or the error naming the option, its value (escaped) and the forms', () => {
    expect(logWindow({ since: '1h', until: '2026-12-05T11:30:00Z' }, NOW)).toEqual({
      window: { since: NOW - 3_600_000, until: Date.UTC(2026, 11, 5, 11, 30) },
    });
    expect(logWindow({}, NOW)).toEqual({ window: {} });
    const bad = logWindow({ since: '1h', until: 'soon\x1b[2J' }, NOW);
    expect(bad).toEqual({
      error: expect.stringMatching(/^--until 'soon\\x1b\[2J' is not a time: WHEN is a duration ago/),
    });
    expect('error' in bad && bad.error).toMatch(/RFC 3339.*without a zone.*Unix timestamp/);
  });
});
