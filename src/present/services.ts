import type {
  AppArmorPlan,
  DamagedService,
  ServiceInspection,
  ServiceStatus,
  TokenRotation,
  WatchEvent,
} from '../app/index.js';
import { holdsPlanned, isNoMemoryLimit } from '../core/services/bytes.js';
import { type IdMapRange, mapsHostZero, parseNetDev } from '../core/services/inspect.js';
import { escapeLine } from './escape.js';
import { ratingLines, ratingShort } from './rating.js';
import { shownHint } from './root-in-hints.js';
import { bytes, shortDuration } from './units.js';

const mib = (n: number | undefined) => bytes(n, '?');
/** A memory limit read back: the kernel's "no limit" figure (bytes.ts NO_MEMORY_LIMIT) said so. */
const limitMib = (n: number | undefined, none = 'none') =>
  n !== undefined && isNoMemoryLimit(n) ? none : mib(n);
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
/** One module this one uses, as inspect shows it: never the token, only whether it is its own. */
export function usesText(u: NonNullable<ServiceInspection['policy']['uses']>[number]): string {
  const token = u.token ? `, ${u.ownToken ? 'its own token' : 'token'} /run/blueprint/tokens/${u.name}` : '';
  return `${u.name} ${u.version} (${u.range}) through ${u.socket}${token}`;
}

/** A kernel id map as `inside->outside xcount` ranges. */
const idMapText = (map: IdMapRange[]) => map.map((r) => `${r.inside}->${r.outside} x${r.count}`).join(', ');

/** What a provider does for the modules that use it: their tokens, their data when purged. */
function consumersText(name: string, c: NonNullable<ServiceInspection['consumers']>): string {
  if (!c.ownTokens)
    return `no token of their own: the admin's, if one is set (\`blueprint service token ${name}\`)`;
  return `each its own token (socket.clientTokens); ${
    c.purgeOnRequest
      ? "deletes a consumer's data when the admin purges it (`bpkg remove --purge CONSUMER`; socket.consumerPurge)"
      : 'takes no purges (what a consumer stored here stays after `bpkg remove --purge CONSUMER`)'
  }`;
}

/**
 * A running service's memory limit that its next start changes (a model installed since, a setting
 * or override changed without a restart), with the restart: the limit it has is the one memory
 * admission counts for it, and the one the kernel holds it to.
 */
export function runningLimitsText(name: string, r: NonNullable<ServiceStatus['runningLimits']>): string {
  return shownHint(
    `runs with ${isNoMemoryLimit(r.memoryBytes) ? 'no memory limit' : `a memory limit of ${mib(r.memoryBytes)}`}; its next start gives it ${mib(r.nextStartMemoryBytes)}: \`blueprint service restart ${name}\` (its settings, overrides or the packages it serves changed since it started)`,
  );
}

/**
 * The same for the dashboard's service page, whose Restart button is beside it: the button named,
 * not the command.
 */
export function runningLimitsNote(r: NonNullable<ServiceStatus['runningLimits']>): string {
  return `Memory limit ${limitMib(r.memoryBytes)} while it runs; its next start gives it ${mib(r.nextStartMemoryBytes)} (its settings, overrides or the packages it serves changed since it started): Restart applies it.`;
}

/**
 * A memory limit set on the running container outside blueprint (podman update): the fix is the
 * engine's own command, with the plan's limit. Not a restart: it keeps the container, and an engine
 * that records the update (later than Podman 4.3.1, which re-applies the limit it was created with
 * at each start) keeps the new limit too. `service inspect` marks it FAIL; `service status NAME`,
 * the console and the dashboard say it as is.
 */
export function limitChangedOutsideText(
  name: string,
  c: NonNullable<ServiceStatus['limitChangedOutside']>,
): string {
  const MiB = 1024 ** 2;
  const m = c.planMemoryBytes % MiB ? `${c.planMemoryBytes}b` : `${c.planMemoryBytes / MiB}m`;
  return `its container's memory limit was changed outside blueprint (${limitMib(c.memoryBytes, 'no limit')}; its sandbox plan gives ${mib(c.planMemoryBytes)}): set it back with \`podman update --memory ${m} --memory-swap ${m} blueprint-${name}\``;
}

type JudgedLimits = Pick<ServiceStatus, 'runningLimits' | 'limitChangedOutside'>;

/**
 * The line `service status NAME` and the console's Services screen give a running service whose
 * memory limit is not its plan's (memory-limit-judge.ts): the restart that applies a changed plan,
 * or the command that undoes a change made outside blueprint. Undefined when it runs with its plan's.
 */
export function runningLimitLine(name: string, s: JudgedLimits): string | undefined {
  if (s.limitChangedOutside) return `${name}: ${limitChangedOutsideText(name, s.limitChangedOutside)}`;
  return s.runningLimits ? `${name}: ${runningLimitsText(name, s.runningLimits)}` : undefined;
}

/** The same for the dashboard's service page (its State card, beside the Restart button). */
export function runningLimitNote(s: JudgedLimits & { name: string }): string | undefined {
  if (s.limitChangedOutside) {
    const said = limitChangedOutsideText(s.name, s.limitChangedOutside);
    return `${said[0]!.toUpperCase()}${said.slice(1)}.`;
  }
  return s.runningLimits ? runningLimitsNote(s.runningLimits) : undefined;
}

export function formatInspection(i: ServiceInspection): string {
  const p = i.policy;
  const lines = [
    `${i.name} ${i.version}: ${i.state}`,
    // Registered, but nothing to start it from: said first, with the fix.
    ...(i.image?.present === false
      ? [
          `  image ${i.image.id.slice(0, 19)}… is not in the container engine: it cannot start. Install it again: \`bpkg install ${i.name} --reinstall\``,
        ]
      : []),
    // A GPU it requires and this box cannot give: what the start answers, with its fix.
    // Running with other limits than a start gives now: what changed waits for a restart.
    ...(i.runningLimits ? [`  ${runningLimitsText(i.name, i.runningLimits)}`] : []),
    ...(i.limitChangedOutside ? [`  FAIL ${limitChangedOutsideText(i.name, i.limitChangedOutside)}`] : []),
    ...(i.startRefused
      ? [
          `  \`blueprint service start ${i.name}\` would refuse it: ${i.startRefused.message}.${i.startRefused.hint ? ` ${i.startRefused.hint}` : ''}`,
        ]
      : []),
    '',
    'Asked for (sandbox policy):',
    `  capabilities     ${p.capabilities}`,
    `  privileges       no-new-privileges`,
    `  seccomp          ${p.seccomp}`,
    `  apparmor         ${apparmorText(p.apparmor)}`,
    `  root filesystem  ${p.rootFilesystem}, /tmp ${p.tmp}`,
    `  user namespace   ${p.userNamespace}`,
    `  network          ${p.network}${p.network === 'outbound' ? `, ${p.outbound?.length ? `approved: ${p.outbound.map(escapeLine).join(', ')}` : 'nothing approved'}` : ''}`,
    `  limits           memory ${mib(p.memoryBytes)}, ${p.cpus} CPU, ${p.pids} pids, nofile ${p.ulimits.nofile}`,
    `  gpu              ${p.gpu}`,
    `  restart          ${p.restart}; stop: SIGTERM, SIGKILL after ${p.stopTimeoutSeconds}s`,
    ...p.mounts.map((m) => `  mount            ${m.source} -> ${m.target} (${m.mode})`),
    ...(p.uses ?? []).map((u) => `  uses             ${usesText(u)}`),
    ...(i.usedBy?.length ? [`  used by          ${i.usedBy.join(', ')}`] : []),
    ...(i.consumers ? [`  consumers        ${consumersText(i.name, i.consumers)}`] : []),
  ];
  const k = i.process;
  if (!k)
    return [
      ...lines,
      '',
      i.state === 'gone'
        ? `Gone: the engine says it runs, but its process is not there (it went without the engine seeing it). \`blueprint service start ${i.name}\` makes its container afresh.`
        : i.startRefused
          ? 'Not running, and a start is refused (above): once it runs, this shows what the process actually has.'
          : `Not running: \`blueprint service start ${i.name}\` starts it; then this shows what the process actually has.`,
      '',
      ...ratingLines(i.rating),
    ].join('\n');
  const c = k.cgroup;
  lines.push(
    '',
    `Actually has (kernel's view of the container's pid 1, host pid ${k.pid}):`,
    `  ${mark(/^0+$/.test(k.capEff))} CapEff ${k.capEff}`,
    `  ${mark([k.capPrm, k.capInh, k.capAmb, k.capBnd].every((set) => /^0+$/.test(set)))} CapPrm ${k.capPrm}, CapInh ${k.capInh}, CapAmb ${k.capAmb}, CapBnd ${k.capBnd}`,
    `  ${mark(k.noNewPrivs === 1)} NoNewPrivs ${k.noNewPrivs}`,
    `  ${mark(k.seccomp === 2)} Seccomp ${k.seccomp} (2 = filter)`,
    `  ${mark(!mapsHostZero(k.uidMap))} uid map ${idMapText(k.uidMap)}`,
    `  ${mark(!mapsHostZero(k.gidMap))} gid map ${idMapText(k.gidMap)}`,
    `  ${mark(k.rootReadOnly)} root filesystem ${k.rootReadOnly ? 'read-only' : 'WRITABLE'}`,
    `  ${mark(p.network !== 'none' && p.network !== 'loopback-socket' ? true : k.interfaces.every((n) => n === 'lo'))} interfaces ${k.interfaces.join(', ') || '(none)'}`,
    `  ${mark(c.memoryBytes !== undefined && holdsPlanned(c.memoryBytes, i.runningLimits?.memoryBytes ?? p.memoryBytes))} memory limit ${limitMib(c.memoryBytes)}`,
    `  ${mark(c.pids === p.pids)} pids limit ${c.pids ?? '?'}`,
    `  ${mark(c.cpus === p.cpus)} cpu limit ${c.cpus ?? '?'}`,
    `  ${mark(p.apparmor.mode !== 'own-profile' || k.apparmor === `${p.apparmor.profile} (enforce)`)} apparmor ${k.apparmor ?? '(none: the kernel has no AppArmor)'}`,
  );
  const served = moduleInfoText(i.info);
  if (served) lines.push('', `The module says (its /info): ${served}`);
  if (i.probe) {
    lines.push('', "From inside (the module's probe):");
    for (const [key, v] of Object.entries(i.probe)) {
      const shown =
        key === 'netDev' ? parseNetDev(String(v)).join(', ') : String(v).trim().replace(/\s+/g, ' ');
      // The module's text, keys included: one line each, so it cannot print lines of its own here.
      lines.push(`  ${escapeLine(key).padEnd(14)} ${escapeLine(shown)}`);
    }
  }
  lines.push('', ...ratingLines(i.rating));
  return lines.join('\n');
}

/**
 * A service's state in a few words, the same in `service status`, the TUI and the web: an exited
 * service says its exit code, OOM, and whether the watcher restarts it (when) or gave up.
 */
export function stateText(r: ServiceStatus, now = Date.now()): string {
  if (r.state !== 'exited') return r.state;
  const exited = `exited (${r.exitCode}${r.oomKilled ? ', OOM' : ''}${r.restartCause === 'unhealthy' ? ', was unhealthy' : ''})`;
  if (r.gaveUp) return `${exited}, not restarted after ${r.restarts} restarts`;
  if (r.restartAt)
    return `${exited}, restart in ${shortDuration(Math.max(0, Math.ceil((Date.parse(r.restartAt) - now) / 1000)))}`;
  return exited;
}

/** The state for a narrow column (the TUI's 12 characters): `crash-looped`, `restarting`, or the state. */
export function stateWord(r: ServiceStatus | undefined): string {
  return !r ? 'unknown' : r.gaveUp ? 'crash-looped' : r.restartAt ? 'restarting' : r.state;
}

/**
 * What a running module said about itself (its `GET /info`) in a few words: `model tiny-llama,
 * context 4096, device cpu (no GPU passed through)`; '' when it said nothing of these. The text
 * comes from the module (untrusted): each value is escaped here, whatever the caller does after.
 * `short` leaves out why that device (the console's one-line detail).
 */
export function moduleInfoText(info: ServiceStatus['info'] | undefined, short = false): string {
  if (!info) return '';
  const get = (...keys: string[]) => {
    const k = keys.find((key) => info[key] !== undefined && info[key] !== '');
    return k === undefined ? undefined : escapeLine(String(info[k]));
  };
  const model = get('model');
  // Several models served (llm's `models`, the default first): the others after the default.
  const others = get('models')
    ?.split(', ')
    .filter((m) => m !== model);
  // Models loaded on demand (llm's `loaded`: ids, each `@` when it unloads if idle).
  const loaded = typeof info.loaded === 'string' ? loadedText(info.loaded) : undefined;
  const context = get('contextLength', 'context_length');
  const dimension = get('dimension');
  const device = get('device');
  const reason = short ? undefined : get('deviceReason', 'device_reason');
  return [
    model && `model ${model}${others?.length ? ` (default; also ${others.join(', ')})` : ''}`,
    // One model, loaded and kept (the usual case): nothing to tell.
    loaded && (others?.length || info.loaded !== info.model) && `loaded ${loaded}`,
    context && `context ${context}`,
    dimension && `dimension ${dimension}`,
    device && `device ${device}${reason ? ` (${reason})` : ''}`,
  ]
    .filter(Boolean)
    .join(', ');
}

/**
 * llm's `loaded` (module-info.ts: the loaded models' ids, each `@` and when it unloads if idle) in
 * words, escaped: `tiny, q8 until 10:05 UTC`, or `none`.
 */
export function loadedText(raw: string): string {
  return (
    raw
      .split(', ')
      .filter(Boolean)
      .map((m) => {
        const at = m.indexOf('@');
        if (at < 0) return escapeLine(m);
        const when = new Date(m.slice(at + 1));
        const until = Number.isNaN(when.getTime())
          ? escapeLine(m.slice(at + 1))
          : `${when.toISOString().slice(11, 16)} UTC`;
        return `${escapeLine(m.slice(0, at))} until ${until}`;
      })
      .join(', ') || 'none'
  );
}

/** `blueprint service status`: one row per service, then what each running module says it serves. */
/**
 * `service status`/`list`: the table, then what running modules say of themselves. `damaged`:
 * services whose registration cannot be read, each a row in name order and, below, what is wrong
 * and the fix.
 */
/**
 * A running service whose used modules are not all running: its own health check answers, its
 * requests that need them fail (rag "healthy" beside a stopped embeddings). `used`: the rows, or,
 * for one service's status, the modules it uses looked at apart.
 */
function usesDownLines(rows: ServiceStatus[], used: ServiceStatus[]): string[] {
  const byName = new Map(used.map((u) => [u.name, u]));
  return rows
    .filter((r) => r.state === 'running')
    .flatMap((r) => {
      const down = r.uses.flatMap((n) => {
        const u = byName.get(n);
        return u && u.state !== 'running' ? [u] : [];
      });
      if (down.length === 0) return [];
      const one = down.length === 1;
      const states = down.map((d) => `${d.name} (${stateText(d)})`);
      return [
        `${r.name} uses ${states.length > 1 ? `${states.slice(0, -1).join(', ')} and ${states.at(-1)}` : states[0]}, which ${one ? 'is' : 'are'} not running: its requests that need ${one ? 'it' : 'them'} fail until ${shownHint(`\`blueprint service start ${down.map((d) => d.name).join(' ')}\``)}`,
      ];
    });
}

export function statusTable(rows: ServiceStatus[], damaged: DamagedService[] = [], used = rows): string {
  if (rows.length === 0 && damaged.length === 0)
    return shownHint('No services installed. Install a module with `bpkg install NAME`.');
  const served = rows
    .map((r) => [r.name, moduleInfoText(r.info)] as const)
    .filter(([, text]) => text !== '')
    .map(([name, text]) => `${name}: ${text}`);
  const broken = damaged.map(
    (d) =>
      `${escapeLine(d.name)}: ${escapeLine(d.error.message)}${d.error.hint ? `\n  hint: ${escapeLine(shownHint(d.error.hint))}` : ''}`,
  );
  const down = usesDownLines(rows, used);
  const limits = rows.flatMap((r) => runningLimitLine(r.name, r) ?? []);
  return [
    table(rows, damaged),
    ...[served, limits, broken, down].filter((l) => l.length).map((l) => l.join('\n')),
  ].join('\n\n');
}

function table(rows: ServiceStatus[], damaged: DamagedService[]): string {
  const head = [
    'NAME',
    'VERSION',
    'STATE',
    'HEALTH',
    'UPTIME',
    'RESTARTS',
    'MEMORY',
    // The engine's one-shot stats: the average since the container started, not the use now.
    'AVG-CPU%',
    'PIDS',
    'SECURITY',
  ];
  const body = [
    ...rows.map((r) => [
      r.name,
      r.containerVersion && r.containerVersion !== r.version
        ? `${r.version} (running ${r.containerVersion})`
        : r.version,
      stateText(r),
      r.health,
      shortDuration(r.uptimeSeconds),
      String(r.restarts),
      bytes(r.memoryBytes, '-'),
      r.cpuPercent === null ? '-' : String(r.cpuPercent),
      r.pids === null ? '-' : String(r.pids),
      ratingShort(r.rating),
    ]),
    ...damaged.map((d) => [
      escapeLine(d.name),
      '?',
      'registration damaged (see below)',
      ...head.slice(3).map(() => '-'),
    ]),
  ].sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [head, ...body]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `blueprint service watch`: one line per event. */
export function eventText(e: WatchEvent): string {
  switch (e.kind) {
    case 'scheduled':
      return e.cause === 'unhealthy'
        ? `${e.name} failed its health check ${e.failures} times in a row; stopped (crash ${e.crashes} in a row), restarting in ${e.delayMs / 1000} s`
        : `${e.name} exited with ${e.exitCode} (crash ${e.crashes} in a row); restarting in ${e.delayMs / 1000} s`;
    case 'restarted':
      return `${e.name} restarted (${e.restarts} since it was last started by hand)`;
    case 'started':
      return `${e.name} started again (it was running before the shutdown)`;
    case 'gave-up':
      return `${e.name} ${e.cause === 'unhealthy' ? 'stayed unhealthy' : `exited with ${e.exitCode}`} after ${e.crashes - 1} restarts in a row; left stopped. See \`blueprint service logs ${e.name}\`, then \`blueprint service start ${e.name}\`.`;
    case 'error':
      return `${e.name}: ${e.message}`;
  }
}

/** `blueprint service rotate-tokens`: who got a new token, and who still holds the old one. */
export function rotationText(r: TokenRotation): string {
  const p = escapeLine(r.provider);
  if (r.rotated.length === 0) return `no module uses ${p}: no token to rotate`;
  const names = (l: string[]) => l.map(escapeLine).join(', ');
  const lines = [`new tokens for ${p}: ${names(r.rotated)}; ${p} refuses the old ones within a second`];
  if (r.restarted.length) lines.push(`restarted: ${names(r.restarted)}`);
  if (r.mustRestart.length)
    lines.push(
      `running: each takes its new token at a 401 if it reads its token file again (rag does), else restart it: ${r.mustRestart.map((n) => `blueprint service restart ${escapeLine(n)}`).join(' && ')}`,
    );
  return lines.join('\n');
}
