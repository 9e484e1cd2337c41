#!/usr/bin/env node
// Start-to-healthy of the hello module: `blueprint service start` (the real executable, which
// creates the sandboxed container, starts it and waits for /health over the unix socket) against
// `podman run -d` of the same image with the same sandbox options. Both clocks stop at the same
// condition: the engine has confirmed the start and the service answered GET /health with 200.
// blueprint's is its JSON answer on stdout (written once start has answered and health got 200);
// podman run's is the later of its exit (start confirmed) and the first healthy answer, which the
// bench watches as blueprint does (inotify on the socket's folder, a probe when it changes, every
// 5 ms once the socket exists). The first healthy answer alone, podman's old clock, is printed too.
// After the rounds both containers' OCI configurations (what runc was given) are compared, less
// names, paths and ids: any other difference is printed, and the figure is marked not comparable.
// Each round starts from no container, and the sides take turns at going first. Needs root, Podman's API socket, and dist/blueprint
// (`npm run build`). Usage: node scripts/bench/services.mjs [--rounds N] [--json]
// Prints a table, or with --json one JSON document: { blueprintMs, podmanRunMs, ratio, blueprintCpuMs, ... }.
// BLUEPRINT_EXE=/path/to/blueprint measures another build; BLUEPRINT_BEFORE=/path/to/blueprint
// also times that build in every round (before/after a change, under the same load).
import { execFile, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  watch,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { figure, load } from './_lib.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const exe = process.env.BLUEPRINT_EXE || path.join(repoRoot, 'dist/blueprint');
const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf('--rounds') + 1] || 7) || 7;
const asJson = args.includes('--json');
const run = promisify(execFile);
const name = `bench-hello-${process.pid}`;
const work = mkdtempSync(path.join(os.tmpdir(), 'bp-bench-svc-'));
const root = path.join(work, 'root');
const say = (l) => asJson || console.error(l);
if (!existsSync(exe)) {
  console.error('scripts/bench/services: dist/blueprint is missing; run `npm run build` first');
  process.exit(1);
}

const bp = (...a) => run(exe, ['--root', root, '--json', ...a], { maxBuffer: 1 << 24 }).then((r) => r.stdout);
const bpkg = (...a) => run(exe, ['--root', root, '--json', '--yes', 'pkg', ...a]);
const podman = (...a) => run('podman', a).then((r) => r.stdout.trim());
// Podman's remove now and then answers "device or resource busy" although the container is gone.
async function removeContainer(name) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await podman('rm', '-f', name);
    } catch (err) {
      if (attempt >= 5 || !/busy/.test(err.stderr ?? '')) throw err;
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
    }
  }
}

function healthy(socketPath) {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/health', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
  });
}

/**
 * The first healthy answer, found as blueprint finds its own (src/core/services/health.ts): the
 * socket's folder watched from before `podman run` is spawned, a probe when the socket exists (at
 * each change in the folder, and every 5 ms while it refuses). Resolves with the time from t0.
 */
function firstHealthy(socketPath, t0, give) {
  return new Promise((resolve, reject) => {
    let busy = false;
    let timer;
    const watcher = watch(path.dirname(socketPath), { persistent: false }, () => check());
    const done = (fn, v) => {
      watcher.close();
      clearTimeout(timer);
      fn(v);
    };
    const deadline = setTimeout(() => done(reject, new Error(`no healthy answer on ${socketPath}`)), 20000);
    async function check() {
      if (busy || give.up) return;
      busy = true;
      const ok = existsSync(socketPath) && (await healthy(socketPath));
      busy = false;
      if (ok) {
        clearTimeout(deadline);
        return done(resolve, performance.now() - t0);
      }
      if (give.up) return done(reject, new Error('podman run failed'));
      clearTimeout(timer);
      timer = setTimeout(check, existsSync(socketPath) ? 5 : 100); // as health.ts: should a change be missed
    }
    check();
  });
}

/**
 * CPU time (user + system, ms) of this process's children reaped so far: /proc/self/stat's cutime
 * and cstime, in clock ticks (100 a second). Read before a command and after its exit, the
 * difference is its CPU, with the children it waited for; a wall-clock figure under load follows
 * the waits for a core, this does not. Ticks are 10 ms: summed over the rounds, not a median.
 */
function childCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // field 3 (state) onwards
  return (Number(f[13]) + Number(f[14])) * 10; // fields 16 and 17
}

/**
 * Runs a command; resolves with its stdout, the times (from t0) of `marker` in it and of its exit,
 * and its CPU time (childCpuMs: nothing else of the bench's is reaped meanwhile).
 */
function timed(cmd, argv, t0, marker) {
  return new Promise((resolve, reject) => {
    const cpu0 = childCpuMs();
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let seenMs = null;
    child.stdout.on('data', (c) => {
      out += c;
      if (seenMs === null && marker?.(out)) seenMs = performance.now() - t0;
    });
    child.stderr.on('data', (c) => {
      err += c;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const exitMs = performance.now() - t0;
      if (code !== 0) return reject(new Error(`${cmd} ${argv.join(' ')}: exit ${code}: ${err}`));
      resolve({ out, seenMs, exitMs, cpuMs: childCpuMs() - cpu0 });
    });
  });
}

/** blueprint's answer is whole (its JSON ends with "}\n") and says healthy. */
const saysHealthy = (out) => {
  if (!out.endsWith('}\n')) return false;
  try {
    return JSON.parse(out).healthy === true;
  } catch {
    return false;
  }
};

/**
 * What runc was given for each container (its OCI config.json), less what must differ: names, ids,
 * host paths of the bind sources and the root overlay, the user namespace's host range, the
 * creation time. Returns the
 * differences left ("path: blueprint … | podman run …"); empty when the sandboxes are the same.
 */
async function sandboxDiff(bpContainer, podmanContainer, sources) {
  const oci = async (c) => {
    const [info] = JSON.parse(await podman('inspect', c));
    let text = readFileSync(info.OCIConfigPath, 'utf8').replaceAll(info.Id, '<id>');
    for (const [from, to] of sources) text = text.replaceAll(from, to);
    const cfg = JSON.parse(text);
    if (cfg.root) cfg.root.path = '<rootfs>'; // each container's own overlay
    for (const m of [...(cfg.linux?.uidMappings ?? []), ...(cfg.linux?.gidMappings ?? [])]) m.hostID = 0;
    cfg.mounts?.sort((a, b) => a.destination.localeCompare(b.destination));
    for (const m of cfg.mounts ?? []) m.options?.sort();
    cfg.process?.env?.sort();
    cfg.linux?.namespaces?.sort((a, b) => a.type.localeCompare(b.type));
    // Not the sandbox: when and by what it was created (the seccomp path is compared in linux.seccomp).
    for (const k of [
      'io.kubernetes.cri-o.Created',
      'io.kubernetes.cri-o.TTY',
      'io.podman.annotations.seccomp',
    ])
      delete cfg.annotations?.[k];
    // What Podman keeps outside runc's config: logging, restart, stop, its own healthcheck (none).
    const { HostConfig: h, Config: c2 } = info;
    const engine = {
      log: [h.LogConfig?.Type, h.LogConfig?.Size],
      restart: h.RestartPolicy,
      stop: [c2.StopSignal, c2.StopTimeout],
      healthcheck: c2.Healthcheck ?? null,
    };
    return { oci: cfg, engine };
  };
  const [a, b] = [await oci(bpContainer), await oci(podmanContainer)];
  const out = [];
  const walk = (x, y, at) => {
    if (x && y && typeof x === 'object' && typeof y === 'object')
      for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) walk(x[k], y[k], `${at}.${k}`);
    else if (JSON.stringify(x) !== JSON.stringify(y))
      out.push(`${at}: blueprint ${JSON.stringify(x)} | podman run ${JSON.stringify(y)}`);
  };
  walk(a, b, 'config');
  return out;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  say('building and installing the hello module as a signed package...');
  const src = path.join(work, 'src');
  cpSync(path.join(repoRoot, 'modules/hello'), src, {
    recursive: true,
    filter: (f) => !f.includes('/rootfs'),
  });
  const manifest = JSON.parse(readFileSync(path.join(src, 'manifest.json'), 'utf8'));
  writeFileSync(path.join(src, 'manifest.json'), JSON.stringify({ ...manifest, name }));
  const key = JSON.parse(await bp('repo', 'keygen', '--out', path.join(work, 'key')));
  await bp(
    'repo',
    'build',
    src,
    '--repo',
    path.join(work, 'repo'),
    '--key',
    path.join(work, 'key/signing-key.asc'),
  );
  mkdirSync(root, { recursive: true });
  await bpkg('key', 'add', path.join(work, 'key/signing-key.pub.asc'), '--fingerprint', key.fingerprint);
  await bpkg('repo', 'add', 'main', path.join(work, 'repo'));
  await bpkg('update');
  await bpkg('install', name);

  // The same sandbox, written as podman CLI flags (see src/core/services/policy.ts).
  const runDir = path.join(work, 'podman-run-sock');
  const dataDir = path.join(work, 'podman-run-data');
  mkdirSync(runDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  const svc = manifest.service;
  const mem = svc.resources.memory;
  const image =
    (await bp('service', 'start', name)) &&
    (await podman('inspect', '--format', '{{.Image}}', `blueprint-${name}`));
  await bp('service', 'stop', name);
  const podmanArgs = [
    'run',
    '-d',
    '--name',
    `${name}-podman`,
    '--hostname',
    name,
    '--cap-drop=all',
    '--security-opt=no-new-privileges',
    `--security-opt=seccomp=${path.join(root, 'var/lib/blueprint/services/seccomp.json')}`,
    '--read-only',
    '--read-only-tmpfs=false',
    '--tmpfs=/tmp:rw,nosuid,nodev,noexec,size=64m',
    '--userns=auto:size=65536',
    '--network=none',
    '--cgroupns=private', // blueprint's sandbox has its own cgroup namespace (Podman's default on v1: host)
    `--memory=${mem}`,
    `--memory-swap=${mem}`,
    `--cpus=${svc.resources.cpus}`,
    `--pids-limit=${svc.resources.pids}`,
    '--ulimit=nofile=1024:1024',
    `--ulimit=nproc=${svc.resources.pids}:${svc.resources.pids}`,
    '-v',
    `${runDir}:${svc.socket.dir}:U,nosuid,nodev`,
    '-v', // the module's data folder, as blueprint mounts it (its U chown costs at each start)
    `${dataDir}:${svc.data}:U,nosuid,nodev`,
    '--label',
    `org.blueprintos.module=${name}`,
    '--log-driver=k8s-file',
    `--log-opt=path=${path.join(work, 'podman-run.log')}`,
    `--log-opt=max-size=${10 * 1024 * 1024}`, // as policy.ts: 10 MiB
    '--restart=no', // as blueprint creates it: service watch restarts with backoff
    `--stop-timeout=${svc.stopTimeout}`,
    // As policy.ts since 599e727 and de04cdd: the image's HEALTHCHECK and VOLUMEs are not used.
    '--no-healthcheck',
    '--image-volume=ignore',
    '-e',
    `BLUEPRINT_SOCKET=${svc.socket.dir}/${svc.socket.file}`,
    '-e', // as policy.ts since 0ab9f133: every module's environment names the module
    `BLUEPRINT_MODULE=${name}`,
    image,
  ];

  // Both clocks stop at the same condition, start confirmed by the engine and the first healthy
  // answer: blueprint's JSON answer (written once its start request has answered and its health
  // request got 200) arriving on its stdout; for podman run the later of its exit and the first
  // healthy answer the bench finds (watched from the moment podman run is spawned, as blueprint
  // watches). The first healthy answer alone (podman's clock until 2026-11-30) is kept beside.
  const blueprintMs = [];
  const blueprintExitMs = [];
  const engineMs = [];
  const podmanMs = [];
  const podmanHealthyMs = [];
  const podmanExitMs = [];
  const before = process.env.BLUEPRINT_BEFORE;
  const beforeMs = [];
  // CPU time of each side's command, summed over the rounds (childCpuMs). podman run's counts its
  // create and start work (not conmon's and runc's: conmon leaves podman's process tree), where
  // blueprint's leaves it to the API service: compare blueprint's with the build before's.
  const cpu = { blueprint: 0, before: 0, podman: 0 };
  const sock = path.join(runDir, svc.socket.file);
  const startBlueprint = async (build) => {
    await removeContainer(`blueprint-${name}`);
    const t = performance.now();
    return timed(build, ['--root', root, '--json', 'service', 'start', name], t, saysHealthy);
  };
  let lastBuild = exe; // whose container is there for the sandbox comparison
  const sides = {
    async blueprint(i) {
      const b = await startBlueprint(exe);
      cpu.blueprint += b.cpuMs;
      lastBuild = exe;
      blueprintMs[i] = b.seenMs;
      blueprintExitMs[i] = b.exitMs;
      engineMs[i] = JSON.parse(b.out).startToHealthyMs;
    },
    async before(i) {
      const b = await startBlueprint(before);
      beforeMs[i] = b.seenMs;
      cpu.before += b.cpuMs;
      lastBuild = before;
    },
    async podman(i) {
      await removeContainer(`${name}-podman`);
      rmSync(sock, { force: true }); // the last round's socket: a connect to it is refused, but skip it
      const t = performance.now();
      const give = { up: false };
      const health = firstHealthy(sock, t, give);
      const p = await timed('podman', podmanArgs, t).catch((err) => {
        give.up = true;
        throw err;
      });
      const h = await health;
      cpu.podman += p.cpuMs;
      podmanHealthyMs[i] = h;
      podmanExitMs[i] = p.exitMs;
      podmanMs[i] = Math.max(h, p.exitMs);
    },
  };
  const order = before ? ['blueprint', 'before', 'podman'] : ['blueprint', 'podman'];
  for (let i = 0; i < rounds; i++) {
    // From no container each time; the sides take turns at going first (round i starts with side
    // i mod n), so that neither always runs right after the other's removal or the bench's own work.
    const turn = order.map((_, k) => order[(i + k) % order.length]);
    for (const side of turn) await sides[side](i);
    say(
      `round ${i + 1} (${turn.join(', ')}): blueprint ${Math.round(blueprintMs[i])} ms (exit ${Math.round(blueprintExitMs[i])}), ` +
        `podman run ${Math.round(podmanMs[i])} ms (healthy ${Math.round(podmanHealthyMs[i])}, exit ${Math.round(podmanExitMs[i])})` +
        (before ? `, before ${Math.round(beforeMs[i])} ms` : ''),
    );
  }
  // The sandbox compared is the measured build's: started again (untimed) if the build before ran last.
  if (lastBuild !== exe) await startBlueprint(exe);
  // Both containers of the last round are there: the same sandbox, or say what differs.
  const differences = await sandboxDiff(`blueprint-${name}`, `${name}-podman`, [
    [path.join(root, 'run/blueprint/services', name), '<socket-dir>'],
    [runDir, '<socket-dir>'],
    [path.join(root, 'var/lib/blueprint/modules', name), '<data-dir>'],
    [dataDir, '<data-dir>'],
    [`blueprint-${name}`, '<name>'],
    [`${name}-podman`, '<name>'],
  ]);
  for (const d of differences) say(`sandbox differs: ${d}`);
  const ratios = blueprintMs.map((b, i) => b / podmanMs[i]);
  const result = {
    bench: 'services: start-to-healthy (hello module, create + start confirmed + health over unix socket)',
    rounds,
    blueprintMs: Math.round(median(blueprintMs)),
    podmanRunMs: Math.round(median(podmanMs)),
    // Three places: the goal is judged on the ratio itself (two places read 1.004 as 1.00, met).
    ratio: Math.round((median(blueprintMs) / median(podmanMs)) * 1000) / 1000,
    exactRatio: median(blueprintMs) / median(podmanMs),
    blueprintStartToHealthyInsideMs: median(engineMs),
    // Mean CPU a start (user + system of the command and the children it waited for).
    blueprintCpuMs: Math.round((cpu.blueprint / rounds) * 10) / 10,
    podmanRunCpuMs: Math.round((cpu.podman / rounds) * 10) / 10,
    blueprintExitMs: Math.round(median(blueprintExitMs)),
    podmanRunExitMs: Math.round(median(podmanExitMs)),
    podmanRunFirstHealthyMs: Math.round(median(podmanHealthyMs)),
    firstHealthyRatio: Math.round((median(blueprintMs) / median(podmanHealthyMs)) * 100) / 100,
    sameSandbox: differences.length === 0,
    sandboxDifferences: differences,
    ...(before
      ? {
          beforeMs: Math.round(median(beforeMs)),
          beforeRatio: Math.round((median(beforeMs) / median(podmanMs)) * 100) / 100,
          beforeCpuMs: Math.round((cpu.before / rounds) * 10) / 10,
        }
      : {}),
    worstRoundRatio: Math.round(Math.max(...ratios) * 100) / 100,
    bestRoundRatio: Math.round(Math.min(...ratios) * 100) / 100,
    goalRatio: 1.0,
    load: os.loadavg()[0],
  };
  if (asJson) console.log(JSON.stringify(result));
  else
    console.log(
      `start-to-healthy, median of ${rounds}: blueprint service start ${result.blueprintMs} ms, ` +
        `podman run ${result.podmanRunMs} ms, ratio ${result.ratio} (rounds ${result.bestRoundRatio}–${result.worstRoundRatio}; goal <= 1.0); ` +
        `of blueprint's time, ${result.blueprintStartToHealthyInsideMs} ms from start request to healthy; ` +
        `both clocks stop once start is confirmed and health answered (podman run: first healthy answer ` +
        `${result.podmanRunFirstHealthyMs} ms, ratio to it ${result.firstHealthyRatio}; exits: blueprint ` +
        `${result.blueprintExitMs} ms, podman run ${result.podmanRunExitMs} ms); ` +
        (result.sameSandbox
          ? 'same sandbox (OCI configs compared)'
          : `SANDBOXES DIFFER (${differences.length})`) +
        `; CPU a start (mean): blueprint ${result.blueprintCpuMs} ms, podman run ${result.podmanRunCpuMs} ms (its create and start in-process)` +
        (before
          ? `; BLUEPRINT_BEFORE ${result.beforeMs} ms, ratio ${result.beforeRatio}, CPU ${result.beforeCpuMs} ms`
          : '') +
        `; ${load()}`,
    );
  if (!asJson)
    figure(
      '`blueprint service start` to healthy vs `podman run` (same image and sandbox)',
      `${result.ratio}× (median of ${rounds}; rounds ${result.bestRoundRatio}–${result.worstRoundRatio})` +
        (result.sameSandbox ? '' : '; not comparable: the sandboxes differ'),
      '≤ 1.0×',
      result.exactRatio <= 1.0 && result.sameSandbox,
      { id: 'services.start', n: result.exactRatio, unit: '×' },
    );
} finally {
  await podman('rm', '-f', `${name}-podman`).catch(() => {});
  await bpkg('remove', name).catch(() => {});
  await podman('rm', '-f', `blueprint-${name}`).catch(() => {});
  rmSync(work, { recursive: true, force: true });
}
