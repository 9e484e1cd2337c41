import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import type { ModuleFlow } from '../services/outbound.js';
import type { Destination } from '../setup/egress.js';
import { writeJsonAtomic } from './fs.js';
import { layout } from './paths.js';

/**
 * `blueprint audit outbound` (issue 19): what the box and each module contacted and what was
 * blocked, from the firewall's own memory — the dynamic sets of the `blueprint` table (destination,
 * protocol, port, packets, bytes; the kernel refreshes an element's timeout on each new flow, so its
 * expiry says when it was last seen) and each module's table (services/outbound.ts). Every reading
 * is merged into a bounded file so the history outlives a reboot or a reload of the rules.
 */

/** The dynamic sets' timeout (egress.ts and outbound.ts declare 7d). */
const SET_TIMEOUT_S = 7 * 24 * 3600;
/** At most this many flows are kept; the ones seen longest ago go first. */
export const MAX_FLOWS = 2000;
export const OUTBOUND_FILE = 'audit/outbound.json';

export interface OutboundFlow {
  /** `box`, or the module whose container it came from. */
  who: string;
  verdict: 'allowed' | 'blocked';
  address: string;
  proto: string;
  port: number;
  /** Why it was allowed: the purpose of the rule (dns, ntp, repositories, updates, modules). */
  rule?: string;
  packets: number;
  bytes: number;
  firstSeen: string;
  lastSeen: string;
  /** The kernel's counter at the last reading (a smaller one means the rules were reloaded). */
  seenPackets: number;
  seenBytes: number;
}

export interface OutboundAudit {
  /** The box's output chain was read (default-deny in force); false: only the stored history. */
  live: boolean;
  /** The named counters of the box's output chain: packets and bytes per rule. */
  counters: Record<string, { packets: number; bytes: number }>;
  flows: OutboundFlow[];
}

type Reading = Omit<OutboundFlow, 'firstSeen' | 'seenPackets' | 'seenBytes'>;
type Json = { nftables?: Record<string, unknown>[] };
type Elem = { elem?: { val?: unknown; expires?: number; counter?: { packets: number; bytes: number } } };

/** Counters and flows of a `nft -j list table inet blueprint` answer, read at `now`. */
export function readBoxTable(
  json: string,
  now: Date,
  destinations: Destination[] = [],
): { counters: OutboundAudit['counters']; flows: Reading[] } {
  const items = (JSON.parse(json) as Json).nftables ?? [];
  const counters: OutboundAudit['counters'] = {};
  const byName = new Map<string, string>(); // address|proto|port -> purpose, from the name sets
  const flows: Reading[] = [];
  for (const item of items) {
    const c = item.counter as { name: string; packets: number; bytes: number } | undefined;
    if (c) counters[c.name] = { packets: c.packets, bytes: c.bytes };
    const set = item.set as { name: string; elem?: (Elem | string)[] } | undefined;
    const m = set?.name.match(/^([a-z]+)_(tcp|udp)_(\d+)_v[46]$/);
    if (set && m)
      for (const e of set.elem ?? []) {
        const addr = typeof e === 'string' ? e : String(e.elem?.val);
        byName.set(`${addr}|${m[2]}|${m[3]}`, m[1]!);
      }
  }
  for (const item of items) {
    const set = item.set as { name: string; elem?: Elem[] } | undefined;
    const kind = set?.name.match(/^(allowed|blocked)_v[46]$/)?.[1] as 'allowed' | 'blocked' | undefined;
    if (!set || !kind) continue;
    for (const e of set.elem ?? []) {
      const [address, proto, port] = ((e.elem?.val as { concat?: unknown[] })?.concat ?? []) as [
        string,
        string,
        number,
      ];
      const seen = new Date(now.getTime() - (SET_TIMEOUT_S - (e.elem?.expires ?? SET_TIMEOUT_S)) * 1000);
      const rule =
        kind === 'allowed'
          ? (byName.get(`${address}|${proto}|${port}`) ??
            destinations.find(
              (d) =>
                d.proto === proto &&
                d.port === Number(port) &&
                (d.host === address || (d.host === '*' && isIP(address))),
            )?.purpose)
          : undefined;
      flows.push({
        who: 'box',
        verdict: kind,
        address: String(address),
        proto: String(proto),
        port: Number(port),
        ...(rule ? { rule } : {}),
        packets: e.elem?.counter?.packets ?? 0,
        bytes: e.elem?.counter?.bytes ?? 0,
        lastSeen: seen.toISOString(),
      });
    }
  }
  return { counters, flows };
}

/** A module's flows as readings (refused is "blocked" in the audit's words). */
export function moduleReadings(module: string, flows: ModuleFlow[], now: Date): Reading[] {
  return flows.map((f) => ({
    who: module,
    verdict: f.verdict === 'allowed' ? 'allowed' : 'blocked',
    address: f.address,
    proto: f.proto,
    port: f.port,
    ...(f.verdict === 'allowed' ? { rule: 'modules' } : {}),
    packets: f.packets,
    bytes: f.bytes,
    lastSeen: now.toISOString(),
  }));
}

const keyOf = (f: Pick<OutboundFlow, 'who' | 'verdict' | 'address' | 'proto' | 'port'>) =>
  `${f.who}|${f.verdict}|${f.address}|${f.proto}|${f.port}`;

/** Adds readings to the stored history: counts grow by what the kernel counted since; bounded. */
export function mergeFlows(stored: OutboundFlow[], readings: Reading[], max = MAX_FLOWS): OutboundFlow[] {
  const all = new Map(stored.map((f) => [keyOf(f), { ...f }]));
  for (const r of readings) {
    const old = all.get(keyOf(r));
    if (!old) {
      all.set(keyOf(r), { ...r, firstSeen: r.lastSeen, seenPackets: r.packets, seenBytes: r.bytes });
      continue;
    }
    // A counter below the last reading started again (rules reloaded, container restarted).
    const dp = r.packets >= old.seenPackets ? r.packets - old.seenPackets : r.packets;
    const db = r.bytes >= old.seenBytes ? r.bytes - old.seenBytes : r.bytes;
    Object.assign(old, {
      packets: old.packets + dp,
      bytes: old.bytes + db,
      seenPackets: r.packets,
      seenBytes: r.bytes,
      ...(r.rule ? { rule: r.rule } : {}),
      lastSeen: dp > 0 && r.lastSeen > old.lastSeen ? r.lastSeen : old.lastSeen,
    });
  }
  return [...all.values()]
    .sort((a, b) => (a.lastSeen < b.lastSeen ? 1 : a.lastSeen > b.lastSeen ? -1 : 0))
    .slice(0, max);
}

const runNft = (): Promise<string | undefined> =>
  new Promise((resolve) =>
    execFile('nft', ['-j', 'list', 'table', 'inet', 'blueprint'], (err, out) =>
      resolve(err ? undefined : out),
    ),
  );

/**
 * Reads the firewall (only when the root is the running system, `/`) and the modules' tables,
 * merges them into ROOT/var/lib/blueprint/audit/outbound.json and answers the whole history.
 */
export async function auditOutbound(
  root: string,
  opts: {
    now?: Date;
    destinations?: Destination[];
    modules?: { name: string; flows: () => Promise<ModuleFlow[]> }[];
    /** The box table as `nft -j` prints it; default: nft itself when the root is `/`. */
    boxTable?: () => Promise<string | undefined>;
  } = {},
): Promise<OutboundAudit> {
  const now = opts.now ?? new Date();
  const file = path.join(layout(root).stateDir, OUTBOUND_FILE);
  const stored = await readFile(file, 'utf8')
    .then((t) => (JSON.parse(t) as { flows?: OutboundFlow[] }).flows ?? [])
    .catch(() => [] as OutboundFlow[]);
  const json = await (opts.boxTable ?? (root === '/' ? runNft : async () => undefined))();
  const box = json ? readBoxTable(json, now, opts.destinations) : { counters: {}, flows: [] };
  const readings = [...box.flows];
  for (const m of opts.modules ?? [])
    readings.push(...moduleReadings(m.name, await m.flows().catch(() => []), now));
  const flows = mergeFlows(stored, readings);
  if (readings.length) await writeJsonAtomic(file, { format: 1, flows }, 0o600);
  return { live: json !== undefined, counters: box.counters, flows };
}
