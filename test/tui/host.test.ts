import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuBusy, parseMeminfo } from '../../src/core/system/host.js';
import { sshPortOf } from '../../src/core/system/network.js';
import { bytes as formatBytes, duration as formatDuration } from '../../src/present/units.js';
import { boxPerTest } from '../helpers/roots.js';

describe('network exposure', () => {
  const box = boxPerTest('sshport');

  it('finds the SSH port of an enabled ssh.service in the drop-in first, as sshd does', async () => {
    expect(await sshPortOf(box.root)).toBeUndefined();
    const wants = box.at('etc/systemd/system/multi-user.target.wants');
    await mkdir(wants, { recursive: true });
    // The link's target is outside this root: it must count anyway.
    await symlink('/lib/systemd/system/ssh.service', path.join(wants, 'ssh.service'));
    expect(await sshPortOf(box.root)).toBe(22);
    await mkdir(box.at('etc/ssh/sshd_config.d'), { recursive: true });
    await writeFile(box.at('etc/ssh/sshd_config'), 'Port 2022\n');
    expect(await sshPortOf(box.root)).toBe(2022);
    await writeFile(box.at('etc/ssh/sshd_config.d/50-blueprint.conf'), 'Port 2200\nPermitRootLogin no\n');
    expect(await sshPortOf(box.root)).toBe(2200);
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
