#!/usr/bin/env node
// Start-to-first-healthy of the hello module: `blueprint service start` (the real executable,
// which creates the sandboxed container, starts it and waits for /health over the unix socket)
// against `podman run -d` of the same image with the same sandbox options, health polled the same
// way. Each round starts from no container. Needs root, Podman's API socket, and dist/blueprint
// (`npm run build`). Usage: node scripts/bench/services.mjs [--rounds N] [--json]
// Prints a table, or with --json one JSON document: { blueprintMs, podmanRunMs, ratio, ... }.
// BLUEPRINT_EXE=/path/to/blueprint measures another build (before/after a change, in one run).
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

async function waitHealthy(socketPath) {
  for (let i = 0; i < 3000; i++) {
    if (await healthy(socketPath)) return;
    await new Promise((r) => setTimeout(r, i < 40 ? 10 : 100));
  }
  throw new Error(`no healthy answer on ${socketPath}`);
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
    '--log-opt=max-size=10mb',
    '--restart=no', // as blueprint creates it: service watch restarts with backoff
    `--stop-timeout=${svc.stopTimeout}`,
    '-e',
    `BLUEPRINT_SOCKET=${svc.socket.dir}/${svc.socket.file}`,
    image,
  ];

  const blueprintMs = [];
  const engineMs = [];
  const podmanMs = [];
  for (let i = 0; i < rounds; i++) {
    // Alternate, from no container each time, so both see the same machine load.
    await removeContainer(`blueprint-${name}`);
    let t = performance.now();
    const r = JSON.parse(await bp('service', 'start', name));
    blueprintMs.push(performance.now() - t);
    engineMs.push(r.startToHealthyMs);

    await removeContainer(`${name}-podman`);
    t = performance.now();
    await podman(...podmanArgs);
    await waitHealthy(path.join(runDir, svc.socket.file));
    podmanMs.push(performance.now() - t);
    say(
      `round ${i + 1}: blueprint ${Math.round(blueprintMs[i])} ms, podman run ${Math.round(podmanMs[i])} ms`,
    );
  }
  const ratios = blueprintMs.map((b, i) => b / podmanMs[i]);
  const result = {
    bench: 'services: start-to-first-healthy (hello module, create + start + health over unix socket)',
    rounds,
    blueprintMs: Math.round(median(blueprintMs)),
    podmanRunMs: Math.round(median(podmanMs)),
    ratio: Math.round((median(blueprintMs) / median(podmanMs)) * 100) / 100,
    blueprintStartToHealthyInsideMs: median(engineMs),
    worstRoundRatio: Math.round(Math.max(...ratios) * 100) / 100,
    bestRoundRatio: Math.round(Math.min(...ratios) * 100) / 100,
    goalRatio: 1.0,
    load: os.loadavg()[0],
  };
  if (asJson) console.log(JSON.stringify(result));
  else
    console.log(
      `start-to-first-healthy, median of ${rounds}: blueprint service start ${result.blueprintMs} ms, ` +
        `podman run ${result.podmanRunMs} ms, ratio ${result.ratio} (rounds ${result.bestRoundRatio}–${result.worstRoundRatio}; goal <= 1.0); ` +
        `of blueprint's time, ${result.blueprintStartToHealthyInsideMs} ms from start request to healthy; ${load()}`,
    );
  if (!asJson)
    figure(
      '`blueprint service start` to healthy vs `podman run` (same image and sandbox)',
      `${result.ratio}× (median of ${rounds}; rounds ${result.bestRoundRatio}–${result.worstRoundRatio})`,
      '≤ 1.0×',
      result.ratio <= 1.0,
    );
} finally {
  await podman('rm', '-f', `${name}-podman`).catch(() => {});
  await bpkg('remove', name).catch(() => {});
  await podman('rm', '-f', `blueprint-${name}`).catch(() => {});
  rmSync(work, { recursive: true, force: true });
}
