import { UsageError } from '../../app/index.js';
import { withNote } from '../../present/host.js';
import { cliBox } from '../box.js';
import { type CommandGroup, type CommandSpec, optBool, optString } from '../command.js';

const network: CommandSpec = {
  name: 'network',
  summary: 'Every listening socket (from ROOT/proc/net); flags any reachable from the network',
  options: {
    'ssh-port': {
      type: 'string',
      value: 'PORT',
      description: 'SSH is enabled on PORT (default: read from the system)',
    },
    all: { type: 'boolean', description: 'Also list unix sockets' },
  },
  details:
    'Loopback listeners and unix sockets are fine; anything else is flagged, except SSH when the admin\n' +
    'enabled it (ssh.service enabled under ROOT/etc/systemd; port from sshd_config), and the DHCP\n' +
    "client's udp 68 / udp6 546 when the kernel shows a DHCP client's program holding it\n" +
    '(systemd-networkd, dhclient, dhcpcd, NetworkManager, by ROOT/proc/PID/exe).\n' +
    "--json: each listener's reason as words (note) and as a code (role: kind ssh, dhcp-client or\n" +
    'dhcp-port, with the program and notHostFile).\n' +
    'Exit codes: 0 nothing flagged, 1 a listener is reachable from the network, 3 no socket tables under ROOT/proc/net to read.',
  async run(ctx, parsed) {
    const port = optString(parsed, 'ssh-port');
    if (port !== undefined && !/^\d+$/.test(port)) throw new UsageError('--ssh-port needs a port number');
    const { sshPort, listeners: all } = await cliBox(ctx).audit.network(
      port !== undefined ? { sshPort: Number(port) } : {},
    );
    const noted = all.map(withNote);
    const flagged = noted.filter((l) => l.flagged);
    const shown = optBool(parsed, 'all') ? noted : noted.filter((l) => l.proto !== 'unix');
    ctx.result({ sshPort: sshPort ?? null, flagged: flagged.length, listeners: noted }, () =>
      [
        ...shown.map(
          (l) =>
            `${l.flagged ? 'EXPOSED ' : 'ok      '} ${l.proto.padEnd(5)} ${l.port === null ? l.address : `${l.address}:${l.port}`}${l.note ? `  (${l.note})` : ''}`,
        ),
        flagged.length
          ? `${flagged.length} listener(s) reachable from the network.`
          : 'No listener reachable from the network.',
      ].join('\n'),
    );
    return flagged.length ? 1 : 0;
  },
};

const outbound: CommandSpec = {
  name: 'outbound',
  summary: 'What the box contacted and what its firewall blocked (from the firewall, kept on disk)',
  details:
    "Reads the firewall's counters (nft, on the running system) and adds them to the history in\n" +
    'ROOT/var/lib/blueprint/audit/outbound.json (bounded: the flows seen longest ago go first).\n' +
    'Each flow: who (the box or a module), allowed or blocked, destination, packets, first and last\n' +
    'seen, and for an allowed one the rule that let it through (dns, ntp, repositories, updates).',
  async run(ctx) {
    const a = await cliBox(ctx).audit.outbound();
    ctx.result(a, () =>
      [
        a.live ? '' : 'The firewall was not read (not the running system, or no rules): history only.',
        ...a.flows.map(
          (f) =>
            `${f.verdict.padEnd(8)} ${f.who.padEnd(12)} ${f.proto} ${f.address}:${f.port}  ${f.packets} packets  ${f.firstSeen} .. ${f.lastSeen}${f.rule ? `  (${f.rule})` : ''}`,
        ),
        `${a.flows.filter((f) => f.verdict === 'blocked').length} blocked, ${a.flows.filter((f) => f.verdict === 'allowed').length} allowed destination(s).`,
      ]
        .filter(Boolean)
        .join('\n'),
    );
    return 0;
  },
};

const sbom: CommandSpec = {
  name: 'sbom',
  summary: 'The software bill of materials of this executable (CycloneDX JSON)',
  details:
    'Prints the CycloneDX SBOM built into the executable: every npm package bundled into it, at the\n' +
    'version package-lock.json pinned, and the Node runtime it is built on. Feed it to a scanner, e.g.\n' +
    '`blueprint audit sbom > bom.json && grype sbom:bom.json`. The image also keeps a copy in\n' +
    '/usr/local/share/doc/blueprint/sbom.cdx.json.',
  async run(ctx) {
    const { text, document } = await cliBox(ctx).audit.sbom();
    // The document as built, byte for byte; --json prints the same document.
    ctx.result(document, () => text);
    return 0;
  },
};

export const auditGroup: CommandGroup = {
  name: 'audit',
  summary: 'Security audits of this box',
  commands: [network, outbound, sbom],
};
