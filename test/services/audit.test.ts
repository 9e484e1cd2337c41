import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditNetwork, decodeAddress, sshPortOf as enabledSshPort } from '../../src/core/system/network.js';
import { listenerRoleText } from '../../src/present/host.js';
import { tempDir } from '../setup/temp-registry.js';

const TCP_HEAD =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const row = (local: string, st: string, inode: number) =>
  `   0: ${local} 00000000:0000 ${st} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 100 0 0 10 0\n`;

let root: string;
beforeAll(async () => {
  root = tempDir('bp-svc-audit-');
  await mkdir(path.join(root, 'proc/net'), { recursive: true });
  const w = (f: string, text: string) => writeFile(path.join(root, 'proc/net', f), text);
  await w(
    'tcp',
    TCP_HEAD +
      row('0100007F:0CEA', '0A', 11) + // 127.0.0.1:3306 listening
      row('00000000:0016', '0A', 12) + // 0.0.0.0:22 listening
      row('0F02000A:1F90', '0A', 13) + // 10.0.2.15:8080 listening
      row('0100007F:A2C4', '01', 14), // established: not a listener
  );
  await w(
    'tcp6',
    TCP_HEAD +
      row('00000000000000000000000001000000:0277', '0A', 21) + // ::1:631
      row('00000000000000000000000000000000:01BB', '0A', 22) + // :::443
      row('0000000000000000FFFF00000100007F:0035', '0A', 23), // ::ffff:127.0.0.1:53
  );
  await w('udp', TCP_HEAD + row('00000000:0044', '07', 31) + row('0100007F:0035', '07', 32));
  await w('udp6', TCP_HEAD);
  await w(
    'unix',
    'Num       RefCount Protocol Flags    Type St Inode Path\n' +
      '0000000000000000: 00000002 00000000 00010000 0001 01 41 /run/blueprint/services/hello/hello.sock\n' +
      '0000000000000000: 00000003 00000000 00000000 0001 03 42\n',
  );
});

describe('audit network (fixture /proc/net)', () => {
  it('decodes /proc/net addresses', () => {
    expect(decodeAddress('0100007F')).toBe('127.0.0.1');
    expect(decodeAddress('0F02000A')).toBe('10.0.2.15');
    expect(decodeAddress('00000000000000000000000001000000')).toBe('::1');
    expect(decodeAddress('00000000000000000000000000000000')).toBe('::');
    expect(decodeAddress('0000000000000000FFFF00000100007F')).toBe('::ffff:127.0.0.1');
    expect(decodeAddress('B80D0120000000000000000001000000')).toBe('2001:db8::1');
  });

  it('lists listeners and flags those reachable from the network', async () => {
    const all = await auditNetwork(root);
    const show = (f: boolean) =>
      all
        .filter((l) => l.flagged === f)
        .map((l) => `${l.proto} ${l.address}${l.port === null ? '' : `:${l.port}`}`);
    expect(show(true).sort()).toEqual(
      ['tcp 0.0.0.0:22', 'tcp 10.0.2.15:8080', 'tcp6 :::443', 'udp 0.0.0.0:68'].sort(),
    );
    expect(show(false).sort()).toEqual(
      [
        'tcp 127.0.0.1:3306',
        'tcp6 ::1:631',
        'tcp6 ::ffff:127.0.0.1:53',
        'udp 127.0.0.1:53',
        'unix /run/blueprint/services/hello/hello.sock',
      ].sort(),
    );
  });

  it('allows SSH only when the admin enabled it', async () => {
    expect(await enabledSshPort(root)).toBeUndefined();
    await mkdir(path.join(root, 'etc/systemd/system/multi-user.target.wants'), { recursive: true });
    await writeFile(path.join(root, 'etc/systemd/system/multi-user.target.wants/ssh.service'), '');
    expect(await enabledSshPort(root)).toBe(22);
    await mkdir(path.join(root, 'etc/ssh'), { recursive: true });
    await writeFile(path.join(root, 'etc/ssh/sshd_config'), '# comment\nPort 2222\n');
    expect(await enabledSshPort(root)).toBe(2222);
    const ssh = (await auditNetwork(root, { sshPort: 22 })).find((l) => l.port === 22 && l.proto === 'tcp');
    // Core gives the reason as a code; src/present words it (core holds no text for humans).
    expect(ssh).toMatchObject({ flagged: false, role: { kind: 'ssh' } });
    expect(ssh).not.toHaveProperty('note');
    expect(listenerRoleText(ssh!.role!)).toBe('SSH (enabled by the admin)');
  });
});
