/**
 * The Dashboard's Exposure row says, for each socket beyond loopback, whether blueprint's firewall
 * lets the network reach it. QA13's walk: the DHCP client's socket (udp 68 on the leased address,
 * which the image's boot test expects on every box) read "listening; blocked by the firewall",
 * but setup's input chain accepts `udp dport 68 udp sport 67`: anyone on the LAN who sends from
 * port 67 reaches it. Only the TCP ports the firewall opens were read from its rules, and a UDP
 * socket on an opened TCP port read as reachable. The rules here are setup's own (nftablesRules),
 * the socket tables a fixture of the kernel's format.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nftablesRules } from '../../src/core/setup/configs.js';
import { boxPerTest } from '../helpers/roots.js';
import { frameWith, renderApp, sourcesFor } from './helpers.js';

const box = boxPerTest('dashdhcp');

const HEAD =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
/** One socket line of /proc/net/{tcp,udp}: address and port in the kernel's hex. */
const line = (hexAddr: string, port: number, state: string, inode: number) =>
  `   0: ${hexAddr}:${port.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 ${state} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 100 0 0 10 0`;

describe('Dashboard: what the firewall lets reach a socket', () => {
  it('names the DHCP reply rule for udp 68, and a UDP socket on an opened TCP port as blocked', async () => {
    const root = box.root;
    mkdirSync(path.join(root, 'etc'), { recursive: true });
    writeFileSync(
      path.join(root, 'etc/nftables.conf'),
      nftablesRules({ ssh: { enabled: true, port: 22 } }, []),
    );
    mkdirSync(path.join(root, 'proc/net'), { recursive: true });
    // sshd on every address; the DHCP client on 10.0.2.15:68; a UDP socket on port 22.
    writeFileSync(path.join(root, 'proc/net/tcp'), `${HEAD}\n${line('00000000', 22, '0A', 11)}\n`);
    writeFileSync(
      path.join(root, 'proc/net/udp'),
      `${HEAD}\n${line('0F02000A', 68, '07', 12)}\n${line('00000000', 22, '07', 13)}\n`,
    );
    const app = renderApp(
      sourcesFor(root, {
        services: async () => ({ available: true, value: [] }),
        gpus: async () => ({ available: true, value: [] }),
        updates: async () => ({ available: true, value: 0 }),
      }),
    );
    const f = await frameWith(app, '10.0.2.15:68', 400);
    expect(f).toMatch(/udp +10\.0\.2\.15:68 +from port 67 only \(DHCP replies\)/);
    expect(f).toMatch(/udp +0\.0\.0\.0:22 +listening; blocked by the firewall/);
    expect(f).toMatch(/tcp +0\.0\.0\.0:22 +REACHABLE from the network/);
    app.unmount();
  });
});
