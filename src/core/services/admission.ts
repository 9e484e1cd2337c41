import path from 'node:path';
import { BlueprintError, ExitCode } from '../errors.js';
import { layout } from '../system/paths.js';
import { shellWord } from '../system/shell-word.js';
import { isNoMemoryLimit } from './bytes.js';
import { cgroupMemoryLimit, cgroupUsage } from './cgroup.js';
import { runningLimit } from './container-info.js';
import { readText } from './fs-cb.js';
import { allInOrder } from './in-order.js';
import { type ContainerInfo, inspectContainer, ownOrNone, type ServiceDeps } from './lifecycle.js';
import { withOverrides } from './overrides.js';
import { getRegistration, type LoadedRegistration, listRegistrations } from './registry.js';
import { withSettings } from './settings.js';
import { usesOf } from './wiring.js';

/**
 * Memory admission at `service start` (issue 15): a service is started only when its memory limit
 * fits in what the box has left, so a model too big for the box is refused with numbers before it
 * is loaded, instead of the kernel's OOM killer choosing a victim minutes later. What is left:
 * the kernel's MemAvailable minus what the running services may still take — each one's limit (the
 * one its container was given, not what a restart would give it) less what it uses now
 * (MemAvailable already excludes what it uses). The pure part (parse, judge) is apart from the
 * reads (meminfo, registrations, cgroups) so each is tested alone.
 */

export interface MemInfo {
  totalBytes: number;
  availableBytes: number;
}

/** `/proc/meminfo` (kB lines). MemAvailable is the kernel's own estimate (Linux ≥ 3.14). */
export function parseMeminfo(text: string): MemInfo {
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s*kB\\s*$`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const totalBytes = field('MemTotal');
  const availableBytes = field('MemAvailable');
  if (totalBytes === undefined || availableBytes === undefined)
    throw new BlueprintError(
      'The memory figures of this box (MemTotal, MemAvailable in /proc/meminfo) could not be read',
      'meminfo-unreadable',
      'Start the service anyway with `blueprint service start NAME --force`, or check that /proc is mounted.',
    );
  return { totalBytes, availableBytes };
}

/** Where the box's memory figures come from; tests give their own. */
export interface MemInfoSource {
  read(): Promise<MemInfo>;
}

/**
 * ROOT/proc/meminfo, else this host's /proc/meminfo. On the box the root is `/`; a test root
 * plants a proc/meminfo of its own to stand for a box with less memory. A root without one (a
 * test root, an image being prepared) runs its services on this host, so this host's figures
 * are the ones that matter.
 */
export function procMeminfo(root: string): MemInfoSource {
  return {
    async read() {
      const inRoot = path.join(layout(root).root, 'proc/meminfo');
      const text = await readText(inRoot).catch(() => readText('/proc/meminfo'));
      return parseMeminfo(text);
    },
  };
}

export interface RunningService {
  name: string;
  limitBytes: number;
  /** What it uses now (its cgroup's memory.current); null when unreadable (counted as 0). */
  usageBytes: number | null;
}

export interface AdmissionVerdict {
  ok: boolean;
  /** The service asked about. */
  name: string;
  /** Its memory limit, plus those of the services it uses that are not running yet. */
  needBytes: number;
  /** Those services, started with it. */
  alsoStarting: string[];
  availableBytes: number;
  /** What the running services may still take: each one's limit less its current use. */
  reservedBytes: number;
  /** availableBytes − reservedBytes (never below 0). */
  leftBytes: number;
  running: RunningService[];
}

/** The verdict, from figures alone. */
export function judgeAdmission(
  want: { name: string; needBytes: number; alsoStarting?: string[] },
  availableBytes: number,
  running: RunningService[],
): AdmissionVerdict {
  // One with no memory limit (removed outside blueprint: cgroup.ts) may take all that is available.
  const unused = (r: RunningService) =>
    isNoMemoryLimit(r.limitBytes) ? availableBytes : Math.max(0, r.limitBytes - (r.usageBytes ?? 0));
  const reservedBytes = running.reduce((s, r) => s + unused(r), 0);
  const leftBytes = Math.max(0, availableBytes - reservedBytes);
  return {
    ok: want.needBytes <= leftBytes,
    name: want.name,
    needBytes: want.needBytes,
    alsoStarting: want.alsoStarting ?? [],
    availableBytes,
    reservedBytes,
    leftBytes,
    running,
  };
}

const gib = (n: number) => `${(n / 1024 ** 3).toFixed(n < 10 * 1024 ** 3 ? 2 : 1)} GiB`;

/** The change a refused `service config NAME ... --restart` asked for. */
export interface ConfigChange {
  set: Record<string, string>;
  unset: string[];
}

/**
 * A refused `service config --restart`'s hint: what works first (the same change without
 * --restart, then `service restart`'s --force: config has none), then making room.
 */
function configHint(name: string, { set, unset }: ConfigChange): string {
  const words = [name, ...Object.entries(set).map(([k, v]) => `${k}=${v}`)].map(shellWord);
  const again = ['blueprint service config', ...words, ...unset.map((k) => `--unset ${shellWord(k)}`)];
  return (
    `Change them without --restart: \`${again.join(' ')}\` keeps them for its next start; then ` +
    `\`blueprint service restart ${shellWord(name)} --force\` starts it anyway (the kernel may then kill a ` +
    `service when memory runs out). Or make room: stop a service (\`blueprint service stop NAME\`), or use ` +
    `smaller values (for llm: a smaller model-NAME package or LLM_CONTEXT). The settings were not changed.`
  );
}

/** A start refused for memory: both numbers, the running services, what to do. Exit 5 (conflict). */
export class AdmissionError extends BlueprintError {
  constructor(
    readonly verdict: AdmissionVerdict,
    /** A `service config --restart`'s change: config has no --force, so its hint is its own. */
    change?: ConfigChange,
  ) {
    const v = verdict;
    const with_ = v.alsoStarting.length ? ` with ${v.alsoStarting.join(', ')}, which it uses` : '';
    const running = v.running.length
      ? `; running: ${v.running
          .map(
            (r) =>
              `${r.name} ${isNoMemoryLimit(r.limitBytes) ? 'no memory limit' : `limit ${gib(r.limitBytes)}`}${r.usageBytes === null ? '' : ` (uses ${gib(r.usageBytes)})`}`,
          )
          .join(', ')}`
      : '';
    super(
      `${v.name} needs ${gib(v.needBytes)} of memory (its limit${with_}), and the box has ${gib(v.leftBytes)} left ` +
        `(${gib(v.availableBytes)} available, ${gib(v.reservedBytes)} of it held for running services${running})`,
      'memory-admission',
      change
        ? configHint(v.name, change)
        : `Stop a service (\`blueprint service stop NAME\`), or use a smaller model, quantisation or context ` +
            `(for llm: a smaller model-NAME package or LLM_CONTEXT), or start it anyway with ` +
            `\`blueprint service start ${v.name} --force\` ` +
            `(the kernel may then kill a service when memory runs out).`,
      ExitCode.conflict,
    );
  }

  override toJSON() {
    return { ...super.toJSON(), admission: this.verdict };
  }
}

/**
 * The registration with the limits its next start gives it, as the sandbox gets them: the memory
 * its settings grow (settings.ts; `stored`: settings to judge instead of the file's), then the
 * admin's overrides (overrides.ts) over the manifest's. A limit grown per token of the models it
 * mounts (memoryPerSetting.bytes "model") reads them (model-memory.ts, loaded only for it).
 */
export async function plannedLimits(
  root: string,
  reg: LoadedRegistration,
  stored?: Record<string, string>,
): Promise<LoadedRegistration> {
  return withOverrides(
    root,
    reg.spec.resources.memoryPerSetting?.bytes === 'model'
      ? await (await import('./model-memory.js')).withSettingsOfModels(root, reg, stored)
      : withSettings(root, reg, stored),
  );
}

/**
 * Judges starting `name` on this box: its limit (and those of the modules it uses that are not
 * running yet, which start with it) against MemAvailable less the other running services'
 * unused limits. `except`: a service being restarted, whose memory comes back before it starts.
 */
export async function admitStart(
  deps: ServiceDeps,
  name: string,
  meminfo: MemInfoSource = procMeminfo(deps.root),
  except: string[] = [],
  /** The container's inspect when the caller has asked for it already (start shares it). */
  inspected?: Promise<ContainerInfo | undefined>,
  /** Its registration when the caller is reading it already (start does): read once. */
  registered: Promise<LoadedRegistration> = getRegistration(deps.root, name),
  /** Its settings to judge instead of the file's (a change `service config --restart` makes). */
  settings?: Record<string, string>,
): Promise<AdmissionVerdict> {
  registered.catch(() => {}); // met below, in order
  const state = new Map<string, ContainerInfo | undefined>();
  const info = async (n: string) => {
    if (!state.has(n))
      state.set(
        n,
        except.includes(n)
          ? undefined
          : await (n === name && inspected
              ? inspected
              : inspectContainer(deps.engine, n, deps.root).catch(ownOrNone)),
      );
    return state.get(n);
  };
  // Independent reads and engine calls, asked together (issue 20); errors still in this order.
  const [listed, registration, { availableBytes }] = await allInOrder([
    listRegistrations(deps.root, new Map([[name, registered.catch(() => undefined)]])),
    registered,
    meminfo.read(),
    info(name),
  ] as const);
  // Already running: `start` does nothing, so there is nothing to admit.
  if ((await info(name))?.State.Running) return judgeAdmission({ name, needBytes: 0 }, availableBytes, []);
  // The ones that start are refused on a bad file (their plan would be). A running one is counted
  // at the limit the kernel holds its container to (its cgroup's: a `podman update --memory` that
  // Podman 4 records nowhere else counts), else the engine's (runningLimit).
  const limits = (r: LoadedRegistration) =>
    plannedLimits(deps.root, r, r.name === name ? settings : undefined);
  // Each limit worked out only where it is counted (the services that start; a running one only
  // when its container says none): no llm's models are read at every other service's start.
  const limited = new Map<string, Promise<LoadedRegistration>>();
  const limitOf = (r: LoadedRegistration) => {
    let p = limited.get(r.name);
    if (!p) {
      p = r.name === name ? limits(r) : limits(r).catch(() => r);
      limited.set(r.name, p);
    }
    return p;
  };
  await limitOf(registration); // its own bad file refuses the start first
  const regs = listed;
  await allInOrder(regs.map((r) => info(r.name))); // each is asked below: all at once
  // What starts with it: the modules it uses, transitively, that are not running.
  const starting: LoadedRegistration[] = [];
  const walk = async (r: LoadedRegistration) => {
    if (starting.some((s) => s.name === r.name)) return;
    starting.push(r);
    for (const u of usesOf(r)) {
      const used = regs.find((x) => x.name === u.name);
      if (used && !(await info(used.name))?.State.Running) await walk(used);
    }
  };
  await walk(registration);
  const running: RunningService[] = [];
  for (const r of regs) {
    if (starting.some((s) => s.name === r.name)) continue;
    const c = await info(r.name);
    if (!c?.State.Running) continue;
    const [usage, kernelLimit] = await Promise.all([
      cgroupUsage(c.State.Pid),
      cgroupMemoryLimit(c.State.Pid),
    ]);
    running.push({
      name: r.name,
      limitBytes: kernelLimit ?? runningLimit(c) ?? (await limitOf(r)).spec.resources.memory,
      usageBytes: usage.memoryBytes ?? null,
    });
  }
  const needs = await Promise.all(starting.map(async (r) => (await limitOf(r)).spec.resources.memory));
  return judgeAdmission(
    {
      name,
      needBytes: needs.reduce((s, n) => s + n, 0),
      alsoStarting: starting.slice(1).map((r) => r.name),
    },
    availableBytes,
    running,
  );
}
