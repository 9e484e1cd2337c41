/**
 * Where setup's last screen tells the admin to ssh (QA14): the box's own addresses, less loopback,
 * IPv6 link-local and the container engine's bridges; none for a root other than the running /.
 */
import type { NetworkInterfaceInfo } from 'node:os';
import { expect, it } from 'vitest';
import { boxAddresses } from '../../src/core/system/addresses.js';

const v4 = (address: string, internal = false) =>
  ({
    address,
    family: 'IPv4',
    internal,
    netmask: '255.255.255.0',
    mac: '00:00:00:00:00:00',
    cidr: null,
  }) as NetworkInterfaceInfo;
const v6 = (address: string) =>
  ({
    address,
    family: 'IPv6',
    internal: false,
    netmask: 'ffff::',
    mac: '00:00:00:00:00:00',
    cidr: null,
    scopeid: 0,
  }) as NetworkInterfaceInfo;

const interfaces = {
  lo: [v4('127.0.0.1', true)],
  enp1s0: [v4('192.168.1.23'), v6('fe80::1'), v6('2001:db8::23')],
  podman0: [v4('10.88.0.1')],
  veth0a1b2c: [v6('fe80::2')],
  wlan0: [v4('10.0.0.5')],
};

it('lists the box interfaces addresses, not loopback, link-local or the engine bridges', () => {
  expect(boxAddresses('/', interfaces)).toEqual(['192.168.1.23', '2001:db8::23', '10.0.0.5']);
});

it('says none for another root: its box is not this machine', () => {
  expect(boxAddresses('/tmp/some-root', interfaces)).toEqual([]);
  expect(boxAddresses('/tmp/..', interfaces)).toEqual(['192.168.1.23', '2001:db8::23', '10.0.0.5']);
});
