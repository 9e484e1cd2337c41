import { constants } from 'node:fs';
import path from 'node:path';
import { BlueprintError, VerificationError } from '../errors.js';
import { ensureDir, writeFileAtomic } from '../system/fs.js';
import { layout } from '../system/paths.js';
import { access, readdir, readText, rm } from './fs-cb.js';
import type { ServiceSpec } from './schema.js';

/**
 * Each service gets its own AppArmor profile, generated from its manifest: it may read and run
 * what the image and the package hold, write only to the mounts the sandbox made writable for it
 * (socket folder, data folder), /tmp and /dev/shm, and never mount, trace, open raw sockets or use
 * a capability. Loaded at every start where the kernel has AppArmor (profiles do not survive a
 * reboot); where it has none, nothing is claimed and the plan says why.
 */

export const profileName = (service: string) => `blueprint-${service}`;

/** Where the profile text is kept (root-relative), for the admin and for `apparmor_parser`. */
export const profileFile = (root: string, service: string) =>
  path.join(layout(root).root, 'etc/apparmor.d/blueprint', profileName(service));

const cacheDir = (root: string) => path.join(layout(root).cacheDir, 'apparmor');

/**
 * Why no profile: the kernel was built without AppArmor; it was turned off at boot; or its control
 * files (securityfs) are not mounted where blueprint runs (a container), so nothing can be loaded
 * and the engine confines nothing either.
 */
export type AppArmorOffReason = 'kernel-has-no-apparmor' | 'apparmor-disabled' | 'no-securityfs';

/** What a service start does about AppArmor on this box. */
export type AppArmorPlan =
  | { mode: 'own-profile'; profile: string }
  /** The kernel enforces AppArmor but blueprint cannot load a profile: the engine's default applies. */
  | { mode: 'engine-default'; reason: 'parser-missing' }
  | { mode: 'off'; reason: AppArmorOffReason };

export type AppArmorSupport = { enabled: true } | { enabled: false; reason: AppArmorOffReason };

/** Whether the running kernel enforces AppArmor (`sys`: the sysfs mount, a parameter for tests). */
export async function apparmorSupport(sys = '/sys'): Promise<AppArmorSupport> {
  const flag = await readText(path.join(sys, 'module/apparmor/parameters/enabled')).catch(() => undefined);
  if (flag === undefined) return { enabled: false, reason: 'kernel-has-no-apparmor' };
  if (flag.trim() !== 'Y') return { enabled: false, reason: 'apparmor-disabled' };
  // What Podman and runc check too: with no securityfs, no profile is loaded or applied.
  const control = await access(path.join(sys, 'kernel/security/apparmor')).then(
    () => true,
    () => false,
  );
  return control ? { enabled: true } : { enabled: false, reason: 'no-securityfs' };
}

/** The parser from the `apparmor` package, where Debian puts it (or on PATH). */
export async function findParser(): Promise<string | undefined> {
  const dirs = ['/usr/sbin', '/sbin', ...(process.env.PATH ?? '').split(':').filter(Boolean)];
  for (const dir of dirs) {
    const file = path.join(dir, 'apparmor_parser');
    if (
      await access(file, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return file;
  }
  return undefined;
}

export async function planAppArmor(service: string, sys = '/sys'): Promise<AppArmorPlan> {
  const support = await apparmorSupport(sys);
  if (!support.enabled) return { mode: 'off', reason: support.reason };
  if (!(await findParser())) return { mode: 'engine-default', reason: 'parser-missing' };
  return { mode: 'own-profile', profile: profileName(service) };
}

export interface ProfileInput {
  name: string;
  network: ServiceSpec['network'];
  /** Container paths mounted read-write for the service (its socket and data folders). */
  writable: string[];
  /** What the GPU plan passes in: host device nodes, or CDI names such as nvidia.com/gpu=all. */
  devices: string[];
  /** Sockets of the modules it uses (module wiring): connect() needs write on the socket path. */
  sockets?: string[];
}

// AppArmor reads globs (* ? [ ] { }), variables (@{...}), quotes, commas and white space in a
// path; a path is written into the profile only when it holds none of them, so a manifest cannot
// add rules of its own.
const SAFE_PATH = /^\/[A-Za-z0-9._/+-]*$/;
const SAFE_NAME = /^[a-z0-9][a-z0-9-]*$/;

function safePath(p: string): string {
  if (!SAFE_PATH.test(p) || p.split('/').includes('..'))
    throw new VerificationError(
      `${JSON.stringify(p)} cannot be written into an AppArmor profile`,
      'bad-service',
      'Container paths of a service may use letters, digits and . _ + - / only.',
    );
  return p.replace(/\/+$/, '');
}

/** Device rules for CDI names (their nodes are known only to the engine) by vendor. */
function cdiRules(device: string): string[] {
  if (device.startsWith('nvidia.com/'))
    return ['/dev/nvidia* rw,', '/dev/nvidia-caps/* rw,', '/dev/nvidia-uvm* rw,', '/dev/dri/** rw,'];
  if (device.startsWith('amd.com/')) return ['/dev/kfd rw,', '/dev/dri/** rw,'];
  return ['/dev/dri/** rw,'];
}

/** The profile text. Pure: the same input gives the same bytes (a reload is skipped when unchanged). */
export function apparmorProfile(input: ProfileInput): string {
  if (!SAFE_NAME.test(input.name))
    throw new VerificationError(
      `${JSON.stringify(input.name)} cannot be written into an AppArmor profile`,
      'bad-service',
    );
  const name = profileName(input.name);
  const writable = [...new Set(input.writable.map(safePath))].sort();
  const devices = [
    ...new Set(input.devices.flatMap((d) => (d.startsWith('/') ? [`${safePath(d)} rw,`] : cdiRules(d)))),
  ];
  const network =
    input.network === 'outbound'
      ? ['network unix,', 'network netlink raw,', 'network inet stream,', 'network inet dgram,'].concat([
          'network inet6 stream,',
          'network inet6 dgram,',
        ])
      : ['network unix,', 'deny network inet,', 'deny network inet6,'];
  const lines = [
    `# ${name}: generated by blueprint from the manifest of ${input.name}; replaced at every start.`,
    `# Writes only to ${[...writable, '/tmp', '/dev/shm'].join(', ')}; network ${input.network}.`,
    '',
    `profile ${name} flags=(attach_disconnected,mediate_deleted) {`,
    '  # Read and run what the image and the package hold (mounted read-only).',
    '  / r,',
    '  /** rmix,',
    '',
    '  # Write only to the folders the sandbox gave the service, and never run what is written there.',
    ...writable.flatMap((p) => [`  ${p}/ rw,`, `  ${p}/** rwkl,`, `  deny ${p}/** mx,`]),
    '  /tmp/ rw,',
    '  /tmp/** rwkl,',
    '  deny /tmp/** mx,',
    '  /dev/shm/ rw,',
    '  /dev/shm/** rwkl,',
    '  deny /dev/shm/** mx,',
    ...['null', 'zero', 'full', 'random', 'urandom', 'tty', 'ptmx'].map((d) => `  /dev/${d} rw,`),
    '  /dev/pts/* rw,',
    '  owner /proc/*/task/*/comm rw,',
    ...devices.map((d) => `  ${d}`),
    ...[...new Set((input.sockets ?? []).map(safePath))].sort().map((s) => `  ${s} w,`),
    '',
    '  # Never: kernel memory, firmware, security settings.',
    '  deny /proc/kcore rwklx,',
    '  deny /proc/sysrq-trigger rwklx,',
    '  deny /proc/kmsg rwklx,',
    '  deny /sys/firmware/** rwklx,',
    '  deny /sys/kernel/security/** rwklx,',
    '',
    ...network.map((n) => `  ${n}`),
    '  deny network raw,',
    '  deny network packet,',
    '',
    '  deny mount,',
    '  deny remount,',
    '  deny umount,',
    '  deny pivot_root,',
    '  deny capability,',
    '  deny ptrace (trace),',
    `  ptrace (read, readby) peer=${name},`,
    // The engine's stop: unconfined, or under the unconfined-mode profiles some distributions give
    // the runtime and the engine (Ubuntu 24.04's runc, crun, podman).
    '  signal (receive) peer={unconfined,runc,crun,podman,conmon},',
    `  signal (send, receive) peer=${name},`,
    '}',
    '',
  ];
  return lines.join('\n');
}

// The tool runner (system/tool-output.ts) is taken when a profile is loaded, not when `service
// start` loads this file; it keeps the tail of the parser's stderr and quotes its last lines.
const tools = () => import('../system/tool-output.js');

/** Whether the kernel has this exact profile loaded in enforce mode. */
async function loadedInKernel(profile: string): Promise<boolean> {
  const list = await readText('/sys/kernel/security/apparmor/profiles').catch(() => '');
  return list.split('\n').includes(`${profile} (enforce)`);
}

/**
 * Writes the profile under ROOT/etc/apparmor.d/blueprint and loads it (`apparmor_parser -r`
 * replaces a loaded one, also for processes already confined by it). Skipped when the kernel
 * already has it and the text is unchanged.
 */
export async function loadProfile(root: string, service: string, text: string): Promise<void> {
  const file = profileFile(root, service);
  const profile = profileName(service);
  const same = (await readText(file).catch(() => undefined)) === text;
  if (same && (await loadedInKernel(profile))) return;
  if (!same) await writeFileAtomic(file, text, 0o644);
  await ensureDir(cacheDir(root));
  const parser = await findParser();
  if (!parser)
    throw new BlueprintError(
      `cannot load the AppArmor profile of ${service}: apparmor_parser is missing`,
      'apparmor-load-failed',
      'Install the apparmor package (apt-get install apparmor).',
    );
  const { runTool, ToolFailure } = await tools();
  try {
    await runTool(parser, ['-r', '-W', '-L', cacheDir(root), file]);
  } catch (err) {
    throw new BlueprintError(
      `cannot load the AppArmor profile of ${service}: ${err instanceof ToolFailure ? err.quoted : (err as Error).message}`,
      'apparmor-load-failed',
      `The profile is ${file}; loading one needs root (CAP_MAC_ADMIN). Run \`blueprint doctor\`.`,
      undefined,
      { cause: err },
    );
  }
}

/**
 * Undoes loadProfile when a module's last version is removed: unloads the profile where the kernel
 * has it (best effort: a profile still in use by a process stays loaded until it ends) and deletes
 * its file and cached binary, so nothing of a removed module is left to load or read.
 */
export async function removeProfile(root: string, service: string): Promise<void> {
  const file = profileFile(root, service);
  const parser = (await loadedInKernel(profileName(service))) ? await findParser() : undefined;
  if (parser) await (await tools()).runTool(parser, ['-R', file]).catch(() => {});
  await rm(file, { force: true });
  // apparmor_parser keeps its cache in a subfolder named after the kernel's features.
  const cached = await readdir(cacheDir(root), { recursive: true }).catch(() => [] as string[]);
  for (const rel of cached)
    if (path.basename(rel) === profileName(service))
      await rm(path.join(cacheDir(root), rel), { force: true });
}

/** Reads the AppArmor label of a process from the host; null when the kernel has no AppArmor. */
export async function processLabel(pid: number): Promise<string | null> {
  // Kernels with LSM stacking have a per-LSM file; attr/current answers for the first LSM.
  for (const f of [`/proc/${pid}/attr/apparmor/current`, `/proc/${pid}/attr/current`]) {
    const text = await readText(f).catch(() => undefined);
    if (text !== undefined) return text.replace(/\0/g, '').trim() || null;
  }
  return null;
}
