import type { OutboundAudit, OutboundFlow } from '../app/index.js';
import { escapeLine } from './escape.js';

/**
 * `blueprint audit outbound` as the console and the dashboard show it (issue 19): one row per
 * destination, who contacted it (the box or a module), how often, when first and last, and which
 * rule allowed it, or that it was blocked. Addresses come from the kernel and the history on disk:
 * escaped all the same.
 */
export interface OutboundRow {
  who: string;
  destination: string;
  count: string;
  firstSeen: string;
  lastSeen: string;
  /** `allowed (dns)`, `allowed`, or `blocked`. */
  verdict: string;
  blocked: boolean;
}

/** `2026-01-05 13:04` (UTC; `01-05 13:04` without the year), or the text as stored when not a date. */
export function shortTime(iso: string, year = true): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return escapeLine(iso);
  const s = new Date(t).toISOString().slice(0, 16).replace('T', ' ');
  return year ? s : s.slice(5);
}

/** `year` false: the console's narrow columns (80 characters leave no room for it). */
export function outboundRow(f: OutboundFlow, year = true): OutboundRow {
  const host = f.address.includes(':') ? `[${f.address}]` : f.address;
  return {
    who: escapeLine(f.who),
    destination: escapeLine(`${f.proto} ${host}:${f.port}`),
    count: String(f.packets),
    firstSeen: shortTime(f.firstSeen, year),
    lastSeen: shortTime(f.lastSeen, year),
    verdict: escapeLine(f.verdict === 'blocked' ? 'blocked' : f.rule ? `allowed (${f.rule})` : 'allowed'),
    blocked: f.verdict === 'blocked',
  };
}

/** Blocked first (what the admin looks for), then the most recently seen. */
export function outboundRows(a: OutboundAudit, year = true): OutboundRow[] {
  return [...a.flows]
    .sort(
      (x, y) =>
        Number(y.verdict === 'blocked') - Number(x.verdict === 'blocked') ||
        y.lastSeen.localeCompare(x.lastSeen),
    )
    .map((f) => outboundRow(f, year));
}

export function outboundSummary(a: OutboundAudit): string[] {
  const blocked = a.flows.filter((f) => f.verdict === 'blocked').length;
  return [
    ...(a.live ? [] : ['The firewall was not read (not the running system, or no rules): history only.']),
    `${blocked} blocked, ${a.flows.length - blocked} allowed destination(s).`,
  ];
}

/**
 * An install refused because a module asks for outbound network the admin has not approved
 * (src/app's OutboundApprovalError, here by its fields: the front ends ask, naming the hosts).
 */
export function approvalAsked(err: unknown): { module: string; hosts: string[] } | undefined {
  const e = err as { code?: unknown; module?: unknown; hosts?: unknown };
  return e.code === 'network-not-approved' &&
    typeof e.module === 'string' &&
    Array.isArray(e.hosts) &&
    e.hosts.every((h) => typeof h === 'string')
    ? { module: e.module, hosts: e.hosts }
    : undefined;
}
