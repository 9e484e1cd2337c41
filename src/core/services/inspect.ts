import { readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { BlueprintError } from '../errors.js';
import type { Engine } from './engine.js';
import { inspectContainer, planFor, type ServiceDeps } from './lifecycle.js';
import { containerName, type PolicySummary } from './policy.js';
import { getRegistration } from './registry.js';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a command inside the running service, with the same sandbox as its main process. */
export async function execInService(engine: Engine, name: string, cmd: string[]): Promise<ExecResult> {
  return engine.call(`running ${cmd[0]} in ${name}`, async () => {
    const docker = await engine.docker();
    const container = docker.getContainer(containerName(name));
    const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const out = new PassThrough();
    const err = new PassThrough();
    const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    out.on('data', (c: Buffer) => chunks.stdout.push(c));
    err.on('data', (c: Buffer) => chunks.stderr.push(c));
    docker.modem.demuxStream(stream, out, err);
    await new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
    // The stream can end a moment before the engine records the exit code.
    let info = await exec.inspect();
    for (let i = 0; info.Running && i < 50; i++) {
      await sleep(20);
      info = await exec.inspect();
    }
    return {
      exitCode: info.ExitCode ?? -1,
      stdout: Buffer.concat(chunks.stdout).toString('utf8'),
      stderr: Buffer.concat(chunks.stderr).toString('utf8'),
    };
  });
}

export interface IdMapRange {
  inside: number;
  outside: number;
  count: number;
}

/** What the kernel enforces on a process: the same files the process reads as /proc/1/... inside. */
export interface ProcessView {
  pid: number;
  capEff: string;
  capBnd: string;
  noNewPrivs: number;
  /** 0 off, 1 strict, 2 filter. */
  seccomp: number;
  uidMap: IdMapRange[];
  uidMapIsIdentity: boolean;
  rootReadOnly: boolean;
  interfaces: string[];
  cgroup: { memoryBytes?: number; pids?: number | 'max'; cpus?: number };
}

export function parseStatus(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((l) => l.split(':\t'))
      .filter((p) => p.length === 2)
      .map(([k, v]) => [k!, v!.trim()]),
  );
}

export function parseIdMap(text: string): IdMapRange[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [inside, outside, count] = l.trim().split(/\s+/).map(Number);
      return { inside: inside!, outside: outside!, count: count! };
    });
}

/** Mount options of the last mount stacked on `/` in a mountinfo file. */
export function rootIsReadOnly(mountinfo: string): boolean {
  const roots = mountinfo.split('\n').filter((l) => l.split(' ')[4] === '/');
  const opts = roots.at(-1)?.split(' ')[5]?.split(',') ?? [];
  return opts.includes('ro');
}

export function parseNetDev(text: string): string[] {
  return text
    .split('\n')
    .slice(2)
    .map((l) => l.split(':')[0]!.trim())
    .filter(Boolean);
}

const readText = (p: string) => readFile(p, 'utf8').catch(() => undefined);
const num = (s: string | undefined) => (s === undefined || Number.isNaN(Number(s)) ? undefined : Number(s));

/** Limits from the process's cgroups (v1 controllers or the v2 unified tree). */
async function cgroupLimits(pid: number, sysfs = '/sys/fs/cgroup'): Promise<ProcessView['cgroup']> {
  const lines = ((await readText(`/proc/${pid}/cgroup`)) ?? '').trim().split('\n');
  const v1 = (ctrl: string) =>
    lines.map((l) => l.split(':')).find((p) => p[1]?.split(',').includes(ctrl))?.[2];
  const v2 = lines.map((l) => l.split(':')).find((p) => p[0] === '0' && p[1] === '')?.[2];
  const memPath = v1('memory');
  if (memPath) {
    const quota = num(await readText(`${sysfs}/cpu${v1('cpu')}/cpu.cfs_quota_us`));
    const period = num(await readText(`${sysfs}/cpu${v1('cpu')}/cpu.cfs_period_us`));
    const pids = (await readText(`${sysfs}/pids${v1('pids')}/pids.max`))?.trim();
    return {
      memoryBytes: num(await readText(`${sysfs}/memory${memPath}/memory.limit_in_bytes`)),
      pids: pids === 'max' ? 'max' : num(pids),
      cpus: quota && period && quota > 0 ? quota / period : undefined,
    };
  }
  if (!v2) return {};
  const [quota, period] = ((await readText(`${sysfs}${v2}/cpu.max`)) ?? '').trim().split(' ');
  const pids = (await readText(`${sysfs}${v2}/pids.max`))?.trim();
  return {
    memoryBytes: num(await readText(`${sysfs}${v2}/memory.max`)),
    pids: pids === 'max' ? 'max' : num(pids),
    cpus: quota && quota !== 'max' ? Number(quota) / Number(period) : undefined,
  };
}

export async function processView(pid: number): Promise<ProcessView> {
  const status = parseStatus((await readText(`/proc/${pid}/status`)) ?? '');
  const uidMap = parseIdMap((await readText(`/proc/${pid}/uid_map`)) ?? '');
  return {
    pid,
    capEff: status.CapEff ?? '?',
    capBnd: status.CapBnd ?? '?',
    noNewPrivs: Number(status.NoNewPrivs ?? -1),
    seccomp: Number(status.Seccomp ?? -1),
    uidMap,
    uidMapIsIdentity: uidMap.some((r) => r.inside === 0 && r.outside === 0),
    rootReadOnly: rootIsReadOnly((await readText(`/proc/${pid}/mountinfo`)) ?? ''),
    interfaces: parseNetDev((await readText(`/proc/${pid}/net/dev`)) ?? ''),
    cgroup: await cgroupLimits(pid),
  };
}

export interface ServiceInspection {
  name: string;
  version: string;
  state: string;
  policy: PolicySummary;
  /** The kernel's record of the container's pid 1 (what it actually has). */
  process?: ProcessView;
  /** The module's own probe, run inside the container (e.g. trying to write /). */
  probe?: Record<string, unknown>;
}

export async function inspectService(deps: ServiceDeps, name: string): Promise<ServiceInspection> {
  const reg = await getRegistration(deps.root, name);
  const plan = await planFor(deps, reg);
  const info = await inspectContainer(deps.engine, name);
  const result: ServiceInspection = {
    name,
    version: reg.version,
    state: info?.State.Status ?? 'not created',
    policy: plan.summary,
  };
  if (!info?.State.Running) return result;
  result.process = await processView(info.State.Pid);
  if (reg.spec.probe) {
    const r = await execInService(deps.engine, name, reg.spec.probe);
    try {
      result.probe = JSON.parse(r.stdout);
    } catch {
      throw new BlueprintError(
        `The probe of ${name} printed no JSON (exit ${r.exitCode}): ${r.stderr || r.stdout}`.trim(),
        'probe-failed',
      );
    }
  }
  return result;
}
