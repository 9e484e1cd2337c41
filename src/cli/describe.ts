import type { AppArmorPlan } from '../core/services/apparmor.js';
import { parseNetDev, type ServiceInspection } from '../core/services/inspect.js';
import { ratingLines } from './rating-text.js';

const mib = (n: number | undefined) => (n === undefined ? '?' : `${Math.round(n / 1024 / 1024)} MiB`);
const mark = (ok: boolean) => (ok ? 'ok  ' : 'FAIL');

function apparmorText(a: AppArmorPlan): string {
  if (a.mode === 'own-profile') return `own profile ${a.profile}`;
  if (a.mode === 'engine-default') return "the engine's default profile (apparmor_parser is missing)";
  if (a.reason === 'kernel-has-no-apparmor') return 'off: this kernel has no AppArmor';
  if (a.reason === 'no-securityfs') return 'off: securityfs is not mounted here (a container?)';
  return 'off: disabled at boot';
}

/**
 * Human text for `blueprint service inspect` (and the TUI's inspect view): each rule asked for
 * next to what the process has, then the security rating point by point.
 */
export function formatInspection(i: ServiceInspection): string {
  const p = i.policy;
  const lines = [
    `${i.name} ${i.version}: ${i.state}`,
    '',
    'Asked for (sandbox policy):',
    `  capabilities     ${p.capabilities}`,
    `  privileges       no-new-privileges`,
    `  seccomp          ${p.seccomp}`,
    `  apparmor         ${apparmorText(p.apparmor)}`,
    `  root filesystem  ${p.rootFilesystem}, /tmp ${p.tmp}`,
    `  user namespace   ${p.userNamespace}`,
    `  network          ${p.network}`,
    `  limits           memory ${mib(p.memoryBytes)}, ${p.cpus} CPU, ${p.pids} pids, nofile ${p.ulimits.nofile}`,
    `  gpu              ${p.gpu}`,
    `  restart          ${p.restart}; stop: SIGTERM, SIGKILL after ${p.stopTimeoutSeconds}s`,
    ...p.mounts.map((m) => `  mount            ${m.source} -> ${m.target} (${m.mode})`),
  ];
  const k = i.process;
  if (!k)
    return [
      ...lines,
      '',
      'Not running: start it to see what the process actually has.',
      '',
      ...ratingLines(i.rating),
    ].join('\n');
  const c = k.cgroup;
  lines.push(
    '',
    `Actually has (kernel's view of the container's pid 1, host pid ${k.pid}):`,
    `  ${mark(/^0+$/.test(k.capEff))} CapEff ${k.capEff}`,
    `  ${mark(k.noNewPrivs === 1)} NoNewPrivs ${k.noNewPrivs}`,
    `  ${mark(k.seccomp === 2)} Seccomp ${k.seccomp} (2 = filter)`,
    `  ${mark(!k.uidMapIsIdentity)} uid map ${k.uidMap.map((r) => `${r.inside}->${r.outside} x${r.count}`).join(', ')}`,
    `  ${mark(k.rootReadOnly)} root filesystem ${k.rootReadOnly ? 'read-only' : 'WRITABLE'}`,
    `  ${mark(p.network !== 'none' && p.network !== 'loopback-socket' ? true : k.interfaces.every((n) => n === 'lo'))} interfaces ${k.interfaces.join(', ') || '(none)'}`,
    `  ${mark(c.memoryBytes === p.memoryBytes)} memory limit ${mib(c.memoryBytes)}`,
    `  ${mark(c.pids === p.pids)} pids limit ${c.pids ?? '?'}`,
    `  ${mark(c.cpus === p.cpus)} cpu limit ${c.cpus ?? '?'}`,
    `  ${mark(p.apparmor.mode !== 'own-profile' || k.apparmor === `${p.apparmor.profile} (enforce)`)} apparmor ${k.apparmor ?? '(none: the kernel has no AppArmor)'}`,
  );
  if (i.probe) {
    lines.push('', "From inside (the module's probe):");
    for (const [key, v] of Object.entries(i.probe)) {
      const shown =
        key === 'netDev' ? parseNetDev(String(v)).join(', ') : String(v).trim().replace(/\s+/g, ' ');
      lines.push(`  ${key.padEnd(14)} ${shown}`);
    }
  }
  lines.push('', ...ratingLines(i.rating));
  return lines.join('\n');
}
