/**
 * The image's modprobe.d blocks rare network protocols so that nothing on the box, a process in a
 * module's container included, can have the kernel load them. A container may call socket() with
 * any address family (Podman's seccomp profile refuses only audit netlink), and a family nobody
 * registered makes the kernel run root's modprobe for `net-pf-N` in the host's namespace, with no
 * capability asked; `module.sig_enforce=1` does not stop it (Debian signs them all). Only an
 * `install MODULE /bin/false` line for the module's real name does.
 *
 * AUTOLOADED: the modules of Debian 12's kernel (linux-image-6.1.0-57-amd64, 6.1.192-3) whose
 * modinfo carries a `net-pf-N` alias, i.e. those a socket() call loads, that the box never uses.
 * Before this test only appletalk, atm and can of them were refused: the blacklist's dccp, rds,
 * tipc have no such alias in that kernel, and its `af_802154` is no module at all (the 802.15.4
 * socket family is `ieee802154_socket`). test/image/rootfs.test.ts checks the names against the
 * kernel the image ships.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const conf = readFileSync(
  new URL('../../image/overlay/etc/modprobe.d/blueprint-blacklist.conf', import.meta.url),
  'utf8',
);
// modprobe takes `-` and `_` in a module name alike.
const norm = (m: string) => m.replaceAll('-', '_');
const refused = new Set(
  conf
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([cmd, , ...rest]) => cmd === 'install' && rest.join(' ') === '/bin/false')
    .map(([, mod]) => norm(mod ?? '')),
);

// Families with a net-pf-N alias (a socket() call loads them): module and family.
const AUTOLOADED: Record<string, string> = {
  appletalk: 'AF_APPLETALK (5)',
  atm: 'AF_ATMPVC, AF_ATMSVC (8, 20)',
  af_key: 'AF_KEY (15): PF_KEY v2, which XFRM netlink replaced',
  llc2: 'AF_LLC (26)',
  can: 'AF_CAN (29)',
  bluetooth: 'AF_BLUETOOTH (31): the box has no Bluetooth use',
  rxrpc: 'AF_RXRPC (33): AFS',
  phonet: 'AF_PHONET (35)',
  nfc: 'AF_NFC (39)',
  kcm: 'AF_KCM (41)',
  qrtr: 'AF_QIPCRTR (42)',
  smc: 'AF_SMC (43)',
};
// Loaded only by name (root's modprobe), refused all the same: the rare protocols the README names.
const BY_NAME = ['dccp', 'sctp', 'rds', 'tipc', 'ax25', 'netrom', 'rose', 'ieee802154_socket'];

describe('modprobe.d refuses every rare address family a container could have loaded', () => {
  it.each(Object.entries(AUTOLOADED))('%s (%s)', (mod) => {
    expect(refused.has(mod), `no "install ${mod} /bin/false"`).toBe(true);
  });

  it.each(BY_NAME)('%s, loaded only by name', (mod) => {
    expect(refused.has(mod), `no "install ${mod} /bin/false"`).toBe(true);
  });

  it('leaves what the box uses: vsock (VMs), AF_ALG (cryptsetup), PPP, USB storage, vfat', () => {
    for (const mod of ['vsock', 'vmw_vsock_virtio_transport', 'af_alg', 'pppox', 'usb_storage', 'vfat']) {
      expect(refused.has(mod), mod).toBe(false);
    }
  });
});
