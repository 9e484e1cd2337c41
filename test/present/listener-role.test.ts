/**
 * `audit network`'s reasons, worded in src/present from core's codes (src/core holds no text for
 * humans): SSH the admin enabled, the DHCP client by its program, and the DHCP client's port held by
 * another program, by one in a mount namespace of its own, or by one whose executable is unread.
 */
import { describe, expect, it } from 'vitest';
import { listenerNote, listenerRoleText } from '../../src/present/host.js';

describe('listenerRoleText', () => {
  it('words each role', () => {
    expect(listenerRoleText({ kind: 'ssh' })).toBe('SSH (enabled by the admin)');
    expect(listenerRoleText({ kind: 'dhcp-client', program: '/usr/sbin/dhclient' })).toBe(
      'DHCP client (dhclient)',
    );
    expect(listenerRoleText({ kind: 'dhcp-port', program: '/tmp/x' })).toBe(
      "the DHCP client's port, held by /tmp/x",
    );
    expect(listenerRoleText({ kind: 'dhcp-port', program: '/usr/sbin/dhclient', notHostFile: true })).toBe(
      "the DHCP client's port, held by /usr/sbin/dhclient (not the host's file)",
    );
    expect(listenerRoleText({ kind: 'dhcp-port', program: null })).toBe(
      "the DHCP client's port, held by (unknown program)",
    );
  });

  it("is the console's and the web's note for a listener that has a role", () => {
    const e = { firewall: 'blueprint', allowedPorts: [] };
    expect(listenerNote({ proto: 'tcp', port: 22, role: { kind: 'ssh' } }, e)).toBe(
      'SSH (enabled by the admin)',
    );
    expect(listenerNote({ proto: 'tcp', port: 8080 }, e)).toBe('listening; blocked by the firewall');
  });
});
