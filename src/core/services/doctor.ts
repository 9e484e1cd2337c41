import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { InterruptedError } from '../errors.js';
import {
  chooseSocket,
  type Engine,
  engineDownFix,
  engineTimeoutMs,
  openEngine,
  type SocketChoice,
} from './engine.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** The exact command or change that fixes it. */
  fix?: string;
}

interface LibpodInfo {
  host: {
    ociRuntime?: { name?: string };
    cgroupManager?: string;
    cgroupVersion?: string;
    security?: { rootless?: boolean; seccompEnabled?: boolean };
  };
  version?: { Version?: string };
}

const CONF_FIX =
  'sudo install -m 0644 scripts/podman/containers.conf /etc/containers/containers.conf (then restart the engine)';

/**
 * Checks what the sandboxed services need, each with the fix: the Podman CLI, the API socket,
 * a rootful engine with runc and cgroupfs (hybrid cgroups), seccomp, and subordinate ids for
 * `userns=auto`.
 */
export async function runDoctor(
  root: string,
  env: NodeJS.ProcessEnv = process.env,
  /** The command's signal: a Ctrl-C or SIGTERM while the engine is asked ends the check (InterruptedError). */
  signal?: AbortSignal,
): Promise<Check[]> {
  const checks: Check[] = [];
  const podman = await promisify(execFile)('podman', ['--version']).then(
    (r) => r.stdout.trim(),
    () => undefined,
  );
  checks.push({
    name: 'podman installed',
    ok: Boolean(podman),
    detail: podman ?? 'podman is not on PATH',
    ...(podman ? {} : { fix: 'sudo apt-get install -y podman runc' }),
  });

  let choice: SocketChoice;
  try {
    choice = chooseSocket(env, path.join(root, 'etc/blueprint/config.json'));
    const socket = choice.path;
    checks.push({ name: 'engine socket', ok: true, detail: `${socket} (from ${choice.source})` });
  } catch (err) {
    checks.push({
      name: 'engine socket',
      ok: false,
      detail: (err as Error).message,
      // config.json's engine.socket judged (engine.ts): its own fix.
      fix:
        (err as { code?: string }).code === 'engine-not-unix'
          ? 'unset CONTAINER_HOST DOCKER_HOST'
          : ((err as { hint?: string }).hint ?? 'unset CONTAINER_HOST DOCKER_HOST'),
    });
    return checks;
  }

  // Stopped before the engine is asked (while podman --version ran): a call made after the signal
  // is not cut (engine.ts: a command's tidying up), so it would wait out the read deadline against a
  // wedged engine. Doctor is a look, with nothing to tidy: it ends here.
  if (signal?.aborted) throw signal.reason;
  let engine: Engine;
  let info: LibpodInfo;
  try {
    engine = openEngine(choice.path, choice.source, {
      signal,
      timeoutMs: engineTimeoutMs(env),
      configFile: choice.file,
    });
    info = await engine.libpod<LibpodInfo>('GET', '/info');
    checks.push({ name: 'engine answers', ok: true, detail: `Podman ${info.version?.Version ?? '?'} API` });
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    const silent = /did not answer within/.test((err as Error).message);
    checks.push({
      name: 'engine answers',
      ok: false,
      detail: (err as Error).message,
      // A wedged engine (it took the connection, never answered): its restart, not its start.
      fix: silent
        ? ((err as { hint?: string }).hint ?? engineDownFix(choice.path, choice.source, choice.file))
        : engineDownFix(choice.path, choice.source, choice.file),
    });
    checks.push(await subidCheck());
    return checks;
  }
  const h = info.host;
  const rootless = h.security?.rootless === true;
  checks.push({
    name: 'rootful engine',
    ok: !rootless,
    detail: rootless ? 'rootless: memory, CPU and pids limits are not enforced on cgroup v1' : 'rootful',
    ...(rootless ? { fix: 'Point blueprint at the root engine: unset CONTAINER_HOST and run as root' } : {}),
  });
  const runtime = h.ociRuntime?.name ?? '?';
  const hybrid = h.cgroupVersion === 'v1';
  checks.push({
    name: 'OCI runtime',
    ok: !hybrid || runtime === 'runc',
    detail: `${runtime} on cgroups ${h.cgroupVersion ?? '?'}`,
    ...(hybrid && runtime !== 'runc' ? { fix: CONF_FIX } : {}),
  });
  checks.push({
    name: 'cgroup manager',
    ok: !hybrid || h.cgroupManager === 'cgroupfs',
    detail: h.cgroupManager ?? '?',
    ...(hybrid && h.cgroupManager !== 'cgroupfs' ? { fix: CONF_FIX } : {}),
  });
  checks.push({
    name: 'seccomp',
    ok: h.security?.seccompEnabled === true,
    detail: h.security?.seccompEnabled ? 'enabled' : 'disabled: the sandbox needs it',
    ...(h.security?.seccompEnabled ? {} : { fix: 'sudo apt-get install -y libseccomp2 && reinstall podman' }),
  });
  checks.push(await subidCheck());
  return checks;
}

/**
 * `userns=auto` takes ids from the `containers` entry of /etc/subuid and /etc/subgid on the
 * engine's machine: this one's, whatever --root names (a demo root has no etc/ of its own).
 */
async function subidCheck(): Promise<Check> {
  const missing: string[] = [];
  for (const f of ['/etc/subuid', '/etc/subgid']) {
    const text = await readFile(f, 'utf8').catch(() => '');
    if (!/^containers:\d+:\d+$/m.test(text)) missing.push(f);
  }
  return {
    name: 'subordinate ids',
    ok: missing.length === 0,
    detail: missing.length ? `no "containers" range in ${missing.join(', ')}` : 'containers range present',
    ...(missing.length
      ? { fix: `echo containers:2147483647:2147483648 | sudo tee -a ${missing.join(' ')}` }
      : {}),
  };
}
