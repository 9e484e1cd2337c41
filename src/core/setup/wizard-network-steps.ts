import { type Destination, egressDestinations } from './egress.js';
import { DEFAULT_NETWORK, networkSchema } from './schema.js';
import { fieldError, list, yes, yesNo } from './wizard-answer-checks.js';
import type { Draft, Step } from './wizard-types.js';

/**
 * The wizard's network steps: DNS servers (over TLS or not), time servers, unattended upgrades.
 * Each says what it adds to the firewall's allow-list, as the plan will make it.
 */

/** The draft's network choices as the answers' `network`, the rest as by default. */
const networkOf = (d: Draft) => ({
  ...DEFAULT_NETWORK,
  dns: { servers: d.dns, tls: d.dnsTls },
  ntp: d.ntp,
  unattendedUpgrades: d.updates,
});
/** The destinations one choice adds to the firewall's allow-list, one line each. */
function adds(d: Draft, purpose: Destination['purpose']): string[] {
  const lines = egressDestinations(networkOf(d), [])
    .filter((x) => x.purpose === purpose)
    .map((x) => `  ${x.proto} ${x.host === '*' ? 'any address' : x.host}:${x.port}`);
  return lines.length
    ? ['The firewall will allow out:', ...lines]
    : ['The firewall will allow nothing out for this.'];
}
/** What `setup --answers` would refuse in the draft's network choices. */
const networkError = (d: Draft) => fieldError(networkSchema, networkOf(d));

export const NETWORK_STEPS: Step[] = [
  {
    id: 'dns',
    title: 'DNS servers',
    kind: 'text',
    prompt: () => 'DNS server addresses, separated by commas (e.g. 9.9.9.9#dns.quad9.net); empty: from DHCP',
    notes: (d) => [
      'Everything the box contacts that is not listed in setup is dropped; names are resolved on the box.',
      ...adds(d, 'dns'),
    ],
    initial: (d) => d.dns.join(', '),
    async accept(v, d) {
      const next = { ...d, dns: list(v), dnsTls: list(v).length ? d.dnsTls : false };
      return networkError(next) ?? next;
    },
  },
  {
    id: 'dnsTls',
    title: 'DNS over TLS',
    kind: 'confirm',
    prompt: () => 'Ask the DNS servers over TLS (port 853)? (y/n)',
    notes: (d) => adds({ ...d, dnsTls: true }, 'dns'),
    skip: (d) => !d.dns.length,
    initial: (d) => (d.dnsTls ? 'y' : 'n'),
    accept: async (v, d) => (yesNo(v) ? { ...d, dnsTls: yes(v) } : 'answer y or n'),
  },
  {
    id: 'ntp',
    title: 'Time servers',
    kind: 'text',
    prompt: () =>
      'NTP servers, separated by commas, or "none" (the clock is then never set from the network)',
    notes: (d) => adds(d, 'ntp'),
    initial: (d) => (d.ntp === 'none' ? 'none' : d.ntp.join(', ')),
    async accept(v, d) {
      const next = { ...d, ntp: v.trim() === 'none' ? ('none' as const) : list(v) };
      if (next.ntp !== 'none' && !next.ntp.length) return 'give at least one server, or "none"';
      return networkError(next) ?? next;
    },
  },
  {
    id: 'updates',
    title: 'Unattended upgrades',
    kind: 'confirm',
    prompt: () => 'Install Debian security updates automatically? (y/n)',
    notes: (d) => adds({ ...d, updates: true }, 'updates'),
    initial: (d) => (d.updates ? 'y' : 'n'),
    accept: async (v, d) => (yesNo(v) ? { ...d, updates: yes(v) } : 'answer y or n'),
  },
];
