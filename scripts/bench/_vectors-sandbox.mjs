// The vectors bench's service, where it runs: in its Podman sandbox (the default; the container
// `blueprint service start` makes, from the services layer's own sandbox policy) or as a plain
// host process (VECTORS_BENCH_WHERE=host, for diagnosis). Both sides of the comparison get the
// same place in the CPU scheduler (see cpuGroup).
import { execFileSync, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { CPU_ROOT, cpuGroup } from './_cpu-group.mjs';

/** The cpu cgroup's throttling counters (cpu.stat) of a process, from its /proc cgroup line. */
export function throttling(pid) {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .find((l) => /:cpu(,|:)/.test(l) || /:cpu,cpuacct:/.test(l));
  const rel = line?.split(':')[2];
  const file = rel && path.join(CPU_ROOT, rel, 'cpu.stat');
  if (!file || !existsSync(file)) return undefined;
  const stat = Object.fromEntries(
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ')),
  );
  return { periods: Number(stat.nr_periods), throttled: Number(stat.nr_throttled), group: rel };
}

// Every thread's [ran, waited] (ns) by thread id: the busiest one besides the main thread is the
// graph worker (modules/vectors/server/graph.ts), which does the searches' graph walks.
export const threads = (pid) => {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(tid, readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number));
    } catch {} // a thread that ended meanwhile
  }
  return out;
};
/** Of the threads other than the main one, the one that ran longest between two threads() reads. */
export const busiestOther = (pid, t0, t1) => {
  let best = { runS: 0, waitS: 0 };
  for (const [tid, [r1, w1]] of t1) {
    const [r0, w0] = t0.get(tid) ?? [0, 0];
    if (tid !== String(pid) && (r1 - r0) / 1e9 > best.runS)
      best = { runS: (r1 - r0) / 1e9, waitS: (w1 - w0) / 1e9 };
  }
  return best;
};

/** VECTORS_BENCH_GRAPH_THREAD=1: the service with its graphs in a worker thread (graph.ts). */
const graphThread = () =>
  process.env.VECTORS_BENCH_GRAPH_THREAD === '1' ? { VECTORS_GRAPH_THREAD: '1' } : {};

/**
 * The service's environment as the services layer gives it (policy.ts: the manifest's env, then
 * the socket), with `over` on top for a diagnosis (a value of null drops the variable: e.g.
 * { GLIBC_TUNABLES: null } for the service without huge pages).
 */
export function serviceEnv(manifestEnv, over = {}) {
  const env = { ...manifestEnv, ...graphThread(), ...over };
  for (const [k, v] of Object.entries(env)) if (v === null || v === undefined) delete env[k];
  return env;
}

/** A libpod API call over Podman's socket (JSON in, JSON out). */
export function libpod(socket, method, apiPath, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath: socket,
        method,
        path: `/v4.0.0/libpod${apiPath}`,
        headers: data ? { 'content-type': 'application/json' } : {},
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () =>
          res.statusCode >= 300
            ? reject(new Error(`${method} ${apiPath}: ${res.statusCode} ${text}`))
            : resolve(text ? JSON.parse(text) : undefined),
        );
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** The services layer's sandboxPolicy, parseService and seccomp profile, bundled for the benches. */
export async function policyModule(root, work) {
  const entry = path.join(work, 'policy-entry.ts');
  const at = (p) => JSON.stringify(path.join(root, p));
  writeFileSync(
    entry,
    [
      `export { sandboxPolicy, NO_GPU } from ${at('src/core/services/policy.ts')};`,
      `export { parseService } from ${at('src/core/services/schema.ts')};`,
      `export { default as seccomp } from ${at('src/core/services/seccomp.json')};`,
    ].join('\n'),
  );
  const out = path.join(work, 'policy.mjs');
  await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    logLevel: 'warning',
    external: ['dockerode'],
  });
  return import(out);
}

const podmanSocket = () => process.env.BLUEPRINT_ENGINE_SOCKET ?? '/run/podman/podman.sock';

/**
 * The service in its sandbox: the package source made by the module's recipe, `podman build` of
 * it, and the container created through the libpod API from the spec sandboxPolicy gives for its
 * manifest (read-only root, no capabilities, the project's seccomp profile, no network, its own
 * user namespace, the manifest's memory, CPU quota and pids), with `db` copied into its data
 * folder first when given. Returns the socket, the pid (as the host sees it) and close().
 */
export async function sandboxed({ root, work, db, env }) {
  const name = `vectors-bench-${process.pid}`;
  const { makePackageSource } = await import(path.join(root, 'modules/vectors/package.ts'));
  const { dir: src, manifest } = await makePackageSource({ out: path.join(work, 'src'), name });
  const image = `localhost/blueprint-bench-vectors:${process.pid}`;
  const id = execFileSync('podman', ['build', '-q', '-t', image, src], { encoding: 'utf8' }).trim();
  const policy = await policyModule(root, work);
  // The box's root (socket and data folders) under a short path: a unix socket's path is at most
  // 107 bytes.
  const box = mkdtempSync(path.join(tmpdir(), 'bpv-'));
  const seccompProfile = path.join(work, 'seccomp.json');
  writeFileSync(seccompProfile, JSON.stringify(policy.seccomp));
  const plan = policy.sandboxPolicy({
    root: box,
    name,
    version: manifest.version,
    prefix: src,
    service: policy.parseService({
      ...manifest.service,
      env: serviceEnv(manifest.service.env, env),
      image: { id: `sha256:${id}` },
    }),
    approvals: { outboundNetwork: false },
    gpu: policy.NO_GPU,
    seccompProfile,
  });
  for (const d of plan.hostDirs) mkdirSync(d, { recursive: true });
  mkdirSync(path.dirname(plan.spec.log_configuration.path), { recursive: true });
  const dataDir = plan.hostDirs.find((d) => d.includes('/modules/'));
  if (db) cpSync(db, path.join(dataDir, 'db'), { recursive: true });
  const api = podmanSocket();
  const created = await libpod(api, 'POST', '/containers/create', plan.spec);
  const close = async () => {
    await libpod(api, 'DELETE', `/containers/${created.Id}`, undefined).catch(() => undefined);
    await libpod(api, 'DELETE', `/containers/${created.Id}?force=true&t=2`, undefined).catch(() => undefined);
    try {
      execFileSync('podman', ['rmi', '-f', image], { stdio: 'ignore' });
    } catch {}
    rmSync(box, { recursive: true, force: true });
  };
  try {
    await libpod(api, 'POST', `/containers/${created.Id}/start`);
    const socket = path.join(plan.hostDirs[0], manifest.service.socket.file);
    for (let i = 0; !existsSync(socket); i++) {
      if (i > 1200) throw new Error(`no socket after 120 s: ${socket}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const info = await libpod(api, 'GET', `/containers/${created.Id}/json`);
    const h = info.HostConfig;
    return {
      socket,
      pid: info.State.Pid,
      dataDir,
      // What the engine really applied (the Podman API's inspect), printed by the bench.
      config: `CPU quota ${h.CpuQuota / h.CpuPeriod} cores (period ${h.CpuPeriod} µs), memory ${h.Memory / 2 ** 30} GiB, pids ${h.PidsLimit}, seccomp ${info.EffectiveCaps?.length === 0 ? 'on, no capabilities' : 'on'}, read-only root ${h.ReadonlyRootfs}, network ${h.NetworkMode}, cgroup ${throttling(info.State.Pid)?.group}`,
      log: () => readFileSync(plan.spec.log_configuration.path, 'utf8'),
      stop: () => libpod(api, 'POST', `/containers/${created.Id}/stop?t=30`),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The bundle as a host process, with the image's Node flags and the manifest's environment. */
export async function hostProcess({ root, work, db, env: over }) {
  const moduleDir = path.join(root, 'modules/vectors');
  const { bundleServer } = await import(path.join(moduleDir, 'package.ts'));
  const server = path.join(work, 'server.mjs');
  await bundleServer(server);
  const entry = /ENTRYPOINT \[(.*)\]/.exec(readFileSync(path.join(moduleDir, 'Containerfile'), 'utf8'))[1];
  const flags = JSON.parse(`[${entry}]`).filter((a) => a.startsWith('--'));
  const manifest = JSON.parse(readFileSync(path.join(moduleDir, 'manifest.json'), 'utf8'));
  const dataDir = path.join(work, 'data');
  mkdirSync(dataDir);
  if (db) cpSync(db, path.join(dataDir, 'db'), { recursive: true });
  const socket = path.join(work, 'api.sock');
  const child = spawn(process.execPath, [...flags, server], {
    // The manifest's whole env (MALLOC_ARENA_MAX, GLIBC_TUNABLES...), its paths moved to this
    // run's folder: the access token file is one the container would have, absent here.
    env: {
      PATH: process.env.PATH,
      ...serviceEnv(manifest.service.env, over),
      BLUEPRINT_SOCKET: socket,
      VECTORS_DATA_DIR: path.join(dataDir, 'db'),
      VECTORS_TOKEN_FILE: path.join(dataDir, 'access-token'),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (c) => (log += c));
  while (!log.includes('serving ')) {
    if (child.exitCode !== null) throw new Error(log);
    await new Promise((r) => setTimeout(r, 20));
  }
  // The container's quota, in a group of its own beside the library's (cpuGroup).
  const group = cpuGroup('service', manifest.service.resources.cpus);
  group?.enter(child.pid);
  const exited = new Promise((r) => child.once('exit', r));
  return {
    socket,
    pid: child.pid,
    dataDir,
    config: `host process (${flags.join(' ')}), ${group ? `own CPU group with the manifest's quota (${manifest.service.resources.cpus} cores)` : 'no CPU group'}`,
    log: () => log,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
    close: async () => {
      child.kill('SIGKILL');
      await exited;
      group?.remove();
    },
  };
}
