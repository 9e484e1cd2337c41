import { lookup } from 'node:dns/promises';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { isIP } from 'node:net';
import { BlueprintError } from '../errors.js';
import { specialRange } from '../system/egress-special.js';
import type { Engine } from './engine.js';

/**
 * A module with network "outbound" reaches the hosts its manifest declares (`outbound`, approved
 * by the admin at install) and nothing else (issue 19). The rules live in the container's own
 * network namespace, in a table of their own, loaded from the host with `nsenter -t PID -n nft`.
 * Podman makes that namespace inside the container's user namespace (lsns: its owner), so root
 * there would be its admin: what keeps the table is that the container has no capability and can
 * gain none (CapDrop ALL empties every set, the bounding one too; no_new_privileges; the seccomp
 * profile refuses unshare and setns), so it cannot change them. Refused connections are rejected, not
 * dropped, so a module learns at once; both kinds are counted for `audit outbound`.
 */

export const MODULE_TABLE = 'blueprint_outbound';

export interface OutboundTarget {
  host: string;
  port: number;
}

/** "api.example.org:443", "192.0.2.1:80", "[2001:db8::1]:443" (the manifest schema checked the form). */
export function parseOutbound(entry: string): OutboundTarget {
  const at = entry.lastIndexOf(':');
  return {
    host: entry
      .slice(0, at)
      .replace(/^\[|\]$/g, '')
      .toLowerCase(),
    port: Number(entry.slice(at + 1)),
  };
}

export interface ResolvedTarget extends OutboundTarget {
  addresses: string[];
}

/** An address a declared *name* resolved to that was not allowed: special-purpose (egress-special.ts). */
export interface RefusedAddress extends OutboundTarget {
  address: string;
  /** The range it is in ("private network", "link-local (cloud metadata…)", "IPv4-mapped loopback"…). */
  range: string;
}

/**
 * The warning for a refused address, typed like an error so every surface prints the same
 * sentence and hint. Not thrown: the module starts with its other destinations.
 */
export class PrivateAddressRefused extends BlueprintError {
  constructor(
    readonly refused: RefusedAddress,
    container?: string,
  ) {
    const { host, port, range } = refused;
    // A resolver answers addresses; anything else is shown without its control characters.
    const address = refused.address.replace(/[^\x20-\x7e]/g, '?').slice(0, 80);
    super(
      `${container ? `${container}: ` : ''}approved name ${host} (port ${port}) resolved to ${address}, ${range}: not allowed`,
      'outbound-private-address',
      `A name never opens the box's network, the host itself or a cloud metadata service, whatever its DNS answers (it may be rebinding). If the module must reach ${address}, its manifest lists the address itself ("${address.includes(':') ? `[${address}]` : address}:${port}") and the admin approves that; otherwise ask who controls DNS for ${host}.`,
    );
  }
}

/**
 * The addresses each declared host has now, resolved on the host (through the box's resolver),
 * when the container starts. A name that does not resolve allows nothing (and is reported). An
 * address a name resolved to in a special-purpose range (LAN, loopback, link-local and cloud
 * metadata, CGNAT, multicast…) is dropped and reported in `refused`: DNS is whoever answers for
 * the name, not the admin, and each start resolves again (so a rebound name is caught here too).
 * An address the admin approved as an address is kept whatever its range.
 */
export async function resolveOutbound(
  entries: string[],
  resolve: (host: string) => Promise<string[]> = async (h) =>
    (await lookup(h, { all: true })).map((a) => a.address),
): Promise<{ targets: ResolvedTarget[]; unresolved: string[]; refused: RefusedAddress[] }> {
  const targets: ResolvedTarget[] = [];
  const unresolved: string[] = [];
  const refused: RefusedAddress[] = [];
  for (const t of entries.map(parseOutbound)) {
    if (isIP(t.host)) {
      targets.push({ ...t, addresses: [t.host] });
      continue;
    }
    const answered = await resolve(t.host).catch(() => [] as string[]);
    const addresses: string[] = [];
    for (const address of new Set(answered)) {
      const range = specialRange(address);
      if (range) refused.push({ ...t, address, range });
      else addresses.push(address);
    }
    if (!answered.length) unresolved.push(`${t.host}:${t.port}`);
    targets.push({ ...t, addresses });
  }
  return { targets, unresolved, refused };
}

/** The container's rules: loopback, replies, the declared destinations; the rest refused and counted. */
export function outboundRuleset(targets: ResolvedTarget[], nameservers: string[] = []): string {
  const v = (a: string) => (isIP(a) === 6 ? 'ip6' : 'ip');
  const allow = targets.flatMap((t) =>
    t.addresses.map(
      (a) =>
        `    ${v(a)} daddr ${a} tcp dport ${t.port} update @allowed_${v(a)} { ${v(a)} daddr . meta l4proto . th dport counter } counter name "allowed" accept`,
    ),
  );
  const dns = nameservers.map(
    (a) => `    ${v(a)} daddr ${a} meta l4proto { tcp, udp } th dport 53 counter name "dns" accept`,
  );
  const set = (name: string, family: 'ip' | 'ip6') =>
    `  set ${name}_${family} { type ${family === 'ip' ? 'ipv4_addr' : 'ipv6_addr'} . inet_proto . inet_service; flags dynamic,timeout; timeout 7d; size 1024; }`;
  return `table inet ${MODULE_TABLE}
delete table inet ${MODULE_TABLE}
table inet ${MODULE_TABLE} {
  counter allowed { }
  counter dns { }
  counter refused { }
${set('allowed', 'ip')}
${set('allowed', 'ip6')}
${set('refused', 'ip')}
${set('refused', 'ip6')}
  chain output {
    type filter hook output priority filter; policy drop;
    oif "lo" accept
    ct state established,related accept
    ct state invalid drop
${[...dns, ...allow].join('\n')}${dns.length + allow.length ? '\n' : ''}    meta nfproto ipv4 update @refused_ip { ip daddr . meta l4proto . th dport counter }
    meta nfproto ipv6 update @refused_ip6 { ip6 daddr . meta l4proto . th dport counter }
    meta l4proto tcp counter name "refused" reject with tcp reset
    counter name "refused" reject with icmpx admin-prohibited
  }
}
`;
}

/**
 * The declared names, as the host resolved them, in the container's /etc/hosts: the module has no
 * DNS of its own (its rules allow none), so its names resolve to exactly the allowed addresses.
 * The file is Podman's (root's, in its run folder), written before the module runs; opened without
 * following a link.
 */
async function addHosts(file: string, targets: ResolvedTarget[]): Promise<void> {
  const lines = targets
    .filter((t) => !isIP(t.host))
    .flatMap((t) => t.addresses.map((a) => `${a}\t${t.host}\n`));
  if (!lines.length) return;
  const fh = await open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW);
  try {
    await fh.writeFile([...new Set(lines)].join(''));
  } finally {
    await fh.close();
  }
}

/** Runs nft in the network namespace of process `pid` (a container's first process). */
export async function nftInNetns(pid: number, args: string[], input?: string): Promise<string> {
  if (!Number.isInteger(pid) || pid <= 1)
    throw new BlueprintError(
      `No process to enter (pid ${pid})`,
      'no-container-pid',
      'Start the service first.',
    );
  return new Promise((resolve, reject) => {
    // Taken here: loading child_process would cost every `service start`, outbound or not.
    const child = process
      .getBuiltinModule('node:child_process')
      .execFile('nsenter', ['-t', String(pid), '-n', 'nft', ...args], (err, stdout, stderr) => {
        if (err)
          reject(
            new BlueprintError(
              `Could not set the container's network rules: ${stderr.trim() || err.message}`,
              'outbound-rules',
              'The container was left without network rules of its own; stop it, then check that nftables is installed.',
            ),
          );
        else resolve(stdout);
      });
    // nsenter that fails at once (the process has gone) never reads its input: the write's EPIPE
    // is that same failure, which the exit status above reports with its reason.
    child.stdin?.on('error', () => {});
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Loads the rules into the container's namespace (replacing any from an earlier start). */
export async function applyOutbound(pid: number, targets: ResolvedTarget[], nameservers: string[] = []) {
  await nftInNetns(pid, ['-f', '-'], outboundRuleset(targets, nameservers));
}

/** One destination a module contacted or was refused, from its namespace's sets. */
export interface ModuleFlow {
  verdict: 'allowed' | 'refused';
  address: string;
  proto: string;
  port: number;
  packets: number;
  bytes: number;
}

type NftElem = { elem?: { val?: { concat?: unknown[] }; counter?: { packets: number; bytes: number } } };

/** Elements of the dynamic sets of a `nft -j list table` answer, as flows. */
export function flowsFromNftJson(json: string, sets: Record<string, ModuleFlow['verdict']>): ModuleFlow[] {
  const out: ModuleFlow[] = [];
  for (const item of (JSON.parse(json) as { nftables?: Record<string, unknown>[] }).nftables ?? []) {
    const set = item.set as { name?: string; elem?: NftElem[] } | undefined;
    const verdict = set?.name ? sets[set.name] : undefined;
    if (!verdict) continue;
    for (const e of set!.elem ?? []) {
      const [address, proto, port] = (e.elem?.val?.concat ?? []) as [string, string | number, number];
      out.push({
        verdict,
        address: String(address),
        proto: String(proto),
        port: Number(port),
        packets: e.elem?.counter?.packets ?? 0,
        bytes: e.elem?.counter?.bytes ?? 0,
      });
    }
  }
  return out;
}

/** What the module in process `pid`'s namespace contacted and was refused. */
export async function moduleFlows(pid: number): Promise<ModuleFlow[]> {
  const json = await nftInNetns(pid, ['-j', 'list', 'table', 'inet', MODULE_TABLE]);
  return flowsFromNftJson(json, {
    allowed_ip: 'allowed',
    allowed_ip6: 'allowed',
    refused_ip: 'refused',
    refused_ip6: 'refused',
  });
}

/**
 * Prepares a created container of a module with network "outbound" so that its first instruction
 * already runs under the rules: `init` makes the namespaces and the network (the OCI "created"
 * state: nothing of the module has run yet), the rules are loaded into its namespace, then the
 * caller starts it. `container` is the engine's name of the container. Answers the hosts whose
 * names did not resolve (allowed nothing) and the addresses refused (each also told to `warn`).
 */
export async function initWithOutbound(
  engine: Pick<Engine, 'libpod'>,
  container: string,
  outbound: string[],
  opts: {
    nameservers?: string[];
    resolve?: (host: string) => Promise<string[]>;
    /** Told of each refused address; default: a line on stderr (the journal, for the watcher). */
    warn?: (w: PrivateAddressRefused) => void;
  } = {},
): Promise<{ unresolved: string[]; refused: RefusedAddress[]; pid: number }> {
  const { targets, unresolved, refused } = await resolveOutbound(outbound, opts.resolve);
  const warn =
    opts.warn ?? ((w: PrivateAddressRefused) => process.stderr.write(`warning: ${w.message}\n  ${w.hint}\n`));
  for (const r of refused) warn(new PrivateAddressRefused(r, container));
  type State = { Pid: number; Status?: string; ExitCode?: number; Error?: string };
  const inspect = () =>
    engine.libpod<{ State: State; HostsPath?: string }>('GET', `/containers/${container}/json`);
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1)
      // Stopped first, so the engine keeps nothing of the lost process (a zombie not yet reaped
      // still reads as alive, and init then answers 304 with its pid): initialised afresh.
      await engine.libpod('POST', `/containers/${container}/stop?timeout=0`, { ok: [304] }).catch(() => {});
    await engine.libpod('POST', `/containers/${container}/init`, { ok: [304] });
    const info = await inspect();
    try {
      await applyOutbound(info.State.Pid, targets, opts.nameservers);
      if (info.HostsPath) await addHosts(info.HostsPath, targets);
      return { unresolved, refused, pid: info.State.Pid };
    } catch (err) {
      // Seen under load in CI: the initialised container's first process was gone before the
      // rules reached its namespace. Nothing of the module ran (it was never started): stop it and
      // initialise it afresh, and load the rules again; a second loss is reported with the
      // engine's state.
      if (attempt < 2) continue;
      const now = await inspect().catch(() => undefined);
      if (err instanceof BlueprintError && now)
        err.message += ` (container ${now.State.Status ?? '?'}, pid ${now.State.Pid} was ${info.State.Pid}${now.State.Error ? `, ${now.State.Error}` : ''})`;
      throw err;
    }
  }
}
