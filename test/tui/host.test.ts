import { describe, expect, it } from 'vitest';
import { parseProcNet } from '../../src/core/system/exposure.js';
import { cpuBusy, formatBytes, formatDuration, parseMeminfo } from '../../src/core/system/host.js';

describe('network exposure audit', () => {
  it('reads listening sockets from /proc/net and tells loopback from exposed', () => {
    const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1
   2: 020200C0:A664 507100CB:0050 01 00000000:00000000 00:00000000 00000000     0        0 3 1
`;
    expect(parseProcNet(tcp, 'tcp')).toEqual([
      { proto: 'tcp', address: '0.0.0.0', port: 22, exposed: true },
      { proto: 'tcp', address: '127.0.0.1', port: 8080, exposed: false },
    ]);
    const tcp6 = `  sl  local_address                         remote_address                        st
   0: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A
   1: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A
   2: 0000000000000000FFFF00000100007F:0035 00000000000000000000000000000000:0000 0A
`;
    expect(parseProcNet(tcp6, 'tcp6')).toEqual([
      { proto: 'tcp6', address: '::1', port: 631, exposed: false },
      { proto: 'tcp6', address: '::', port: 80, exposed: true },
      { proto: 'tcp6', address: '::ffff:127.0.0.1', port: 53, exposed: false },
    ]);
  });
});

describe('host facts', () => {
  it('uses MemAvailable, not MemFree', () => {
    expect(
      parseMeminfo('MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    600 kB\n'),
    ).toEqual({
      totalBytes: 1024000,
      availableBytes: 614400,
    });
    expect(parseMeminfo('garbage')).toBeUndefined();
  });

  it('computes CPU busy share between samples', () => {
    const t = (user: number, idle: number) => ({
      model: '',
      speed: 0,
      times: { user, nice: 0, sys: 0, irq: 0, idle },
    });
    expect(cpuBusy([t(100, 100)], [t(175, 125)])).toBe(0.75);
    expect(cpuBusy([t(0, 0)], [t(0, 0)])).toBe(0);
  });

  it('formats sizes and durations for the dashboard', () => {
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(25 * 1024 ** 3)).toBe('25 GiB');
    expect(formatDuration(3 * 86400 + 7200)).toBe('3d 2h');
    expect(formatDuration(3700)).toBe('1h 1m');
  });
});
