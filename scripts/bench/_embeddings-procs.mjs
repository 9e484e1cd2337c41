// The embeddings bench's processes (scripts/bench/embeddings.mjs): CPU and memory read from /proc,
// the service's environment, and its Podman sandbox. Their CPU groups: _cpu-group.mjs.
import { execFileSync, fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { likeAContainer } from './_cpu-group.mjs';

/** CPU time (user + system, every thread) the process has used so far, in ms (clock ticks of 10 ms). */
export function cpuOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // utime, stime: fields 14 and 15
}

const WORDS = `the a cat dog kitten sits sat on mat rug stock prices fell sharply today market model box edge
  service socket vector sentence small quick slow house room table coffee water book read world hello data`.split(
  /\s+/,
);
/** Deterministic sentences of 6 to 24 words. */
export function sentences(n) {
  let seed = 42;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  return Array.from({ length: n }, () =>
    Array.from({ length: 6 + Math.floor(rnd() * 19) }, () => WORDS[Math.floor(rnd() * WORDS.length)]).join(
      ' ',
    ),
  );
}

/**
 * CPU time (ms, clock ticks of 10 ms) of each thread of the process so far, by thread id: where a
 * service's time goes (its event loop, the engine's worker, ONNX Runtime's pool) against in-process.
 */
export function threadCpuOf(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, (Number(f[11]) + Number(f[12])) * 10);
    } catch {} // the thread ended
  }
  return out;
}

/**
 * Context switches so far, every thread of `pid` together: voluntary (the thread slept: each is a
 * wake-up later, costly on this VM's idle vCPUs) and involuntary (preempted), from /proc status.
 */
export function switchesOf(pid) {
  let voluntary = 0;
  let involuntary = 0;
  const byThread = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const v = Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      const n = Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      voluntary += v;
      involuntary += n;
      byThread.set(`${tid} ${/^Name:\s+(.*)$/m.exec(status)?.[1]}`, v);
    } catch {} // the thread ended
  }
  return { voluntary, involuntary, byThread };
}

/** The threads that slept between two switchesOf readings, most first, per `per` (e.g. batches). */
export function sleepiestThreads(before, after, per, n = 6) {
  return [...after.byThread]
    .map(([t, v]) => [t, (v - (before.byThread.get(t) ?? 0)) / per])
    .filter(([, v]) => v > 0)
    .sort((x, y) => y[1] - x[1])
    .slice(0, n)
    .map(([t, v]) => `${t} ${v.toFixed(2)}`)
    .join(', ');
}

/** CPU time every live thread of `pid` has run so far, in µs (/proc schedstat: ns, not 10 ms ticks). */
export function runTimeOf(pid) {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {} // the thread ended
  }
  return ns / 1000;
}

/** The busiest threads' CPU between two threadCpuOf readings, most first, scaled by `scale`. */
export function busiestThreads(before, after, scale, n = 3) {
  return [...after]
    .map(([tid, ms]) => ms - (before.get(tid) ?? 0))
    .sort((x, y) => y - x)
    .slice(0, n)
    .map((ms) => ms * scale);
}

export const BATCH = 32;
/** One timed pass over the texts in batches of `size` (BATCH unless told); sentences per second. */
export async function pass(texts, embedBatch, size = BATCH) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < texts.length; i += size) await embedBatch(texts.slice(i, i + size));
  return texts.length / (Number(process.hrtime.bigint() - start) / 1e9);
}

export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}

export async function waitForSocket(socketPath, seconds) {
  for (let i = 0; i < seconds * 10; i++) {
    const ok = await new Promise((r) => {
      const req = request({ socketPath, path: '/health' }, (res) => r(res.statusCode === 200));
      req.on('error', () => r(false));
      req.end();
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the service did not answer on ${socketPath} within ${seconds}s`);
}

export function serviceEnv(src, model) {
  const manifest = JSON.parse(readFileSync(join(src, 'manifest.json'), 'utf8'));
  return {
    // glibc's settings as the services layer passes them (they change page faults a request, and
    // GLIBC_TUNABLES's huge pages the engine's speed; embeddings.mjs gives the in-process ways the same).
    ...Object.fromEntries(
      Object.entries(manifest.service.env).filter(([k]) => k.startsWith('MALLOC_') || k === 'GLIBC_TUNABLES'),
    ),
    EMBEDDINGS_MODEL: model,
    EMBEDDINGS_FILES: JSON.stringify(manifest.files),
    EMBEDDINGS_MAX_BATCH: '64',
  };
}

export const podman = (...args) =>
  execFileSync('podman', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/**
 * The service in its Podman sandbox with the flags of the services layer's sandbox policy, its
 * socket in `dir`: { socket, pid, close() } once /health answers. `extraEnv`: more variables (the
 * bench's --glibc-tunables, given to every way alike).
 */
export async function startSandbox(src, model, dir, image, cpus, extraEnv = {}) {
  const name = `blueprint-bench-embeddings-${process.pid}`;
  const env = Object.entries({
    ...serviceEnv(src, model),
    ...extraEnv,
    BLUEPRINT_SOCKET: '/run/embeddings/api.sock',
    EMBEDDINGS_MODEL_DIR: '/models',
  });
  // The flags of the services layer's sandbox policy, spelled for the podman CLI.
  podman(
    'run',
    '-d',
    '--name',
    name,
    '--read-only',
    '--read-only-tmpfs=false',
    '--cap-drop',
    'all',
    '--security-opt',
    'no-new-privileges',
    '--network',
    'none',
    '--userns',
    'auto:size=65536',
    '--memory',
    '1g',
    '--pids-limit',
    '128',
    '--cpus',
    String(cpus),
    '--tmpfs',
    '/tmp:rw,noexec,nosuid,nodev',
    '-v',
    `${join(src, 'payload/models')}:/models:ro`,
    '-v',
    `${dir}:/run/embeddings:U`,
    ...env.flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    image,
  );
  // Podman's remove now and then answers "device or resource busy" although it is done: retried.
  const close = () => {
    for (let attempt = 0; ; attempt++)
      try {
        return podman('rm', '-f', '-t', '2', name);
      } catch (err) {
        if (attempt >= 5 || !/busy/.test(String(err.stderr))) throw err;
        execFileSync('sleep', [String(0.2 * (attempt + 1))]);
      }
  };
  try {
    const socket = join(dir, 'api.sock');
    await waitForSocket(socket, 180);
    return { socket, pid: Number(podman('inspect', '-f', '{{.State.Pid}}', name)), close };
  } catch (err) {
    close();
    throw err;
  }
}

/**
 * An in-process way (_embeddings-inproc.mjs: `engine` or `library`) in a child process of its own,
 * with `env` on top of ours, batches of `batch` inputs, in a CPU group of `cpus` like a container's (none when undefined):
 * { probe, pass(): the child's figures for one timed pass, close(), grouped }.
 */
export async function inProcessChild(modelDir, count, way, { cpus, env = {}, batch = BATCH } = {}) {
  const child = fork(
    join(import.meta.dirname, '_embeddings-inproc.mjs'),
    ['--way', way, '--model', modelDir, '--sentences', String(count), '--batch', String(batch)],
    { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { ...process.env, ...env } },
  );
  let pending;
  child.on('message', (m) => pending?.resolve(m));
  child.on('exit', (code) => pending?.reject(new Error(`the in-process ${way} child exited (${code})`)));
  const next = () =>
    new Promise((resolve, reject) => {
      pending = { resolve, reject };
    });
  const ready = next();
  const ungroup = cpus === undefined ? undefined : likeAContainer(child.pid, cpus);
  const { probe } = await ready;
  return {
    pid: child.pid,
    probe: Float32Array.from(probe),
    grouped: ungroup !== undefined,
    pass: () => {
      const answer = next();
      child.send('pass');
      return answer;
    },
    close: () => {
      child.kill();
      ungroup?.();
    },
  };
}

/**
 * The answer's vectors as Float32Arrays, as the OpenAI clients decode them: base64 (or JSON
 * numbers) per input. The base64 vectors of a batch are decoded into one ArrayBuffer, a view each
 * (a buffer of its own per vector cost the client ~30 µs a batch of 32 in allocations).
 */
export function decodeEmbeddings(text) {
  const data = JSON.parse(text).data;
  if (typeof data[0]?.embedding !== 'string') return data.map(({ embedding: e }) => Float32Array.from(e));
  let size = 0;
  for (const { embedding } of data) size += Buffer.byteLength(embedding, 'base64');
  const buf = Buffer.allocUnsafeSlow(size);
  let at = 0;
  return data.map(({ embedding }) => {
    const n = buf.write(embedding, at, 'base64');
    const v = new Float32Array(buf.buffer, buf.byteOffset + at, n / 4);
    at += n;
    return v;
  });
}
